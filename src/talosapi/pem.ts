/**
 * Talos writes Ed25519 keys as PKCS#8 under the label `ED25519 PRIVATE KEY`; OpenSSL (and so Node's TLS) only accepts
 * `PRIVATE KEY` for PKCS#8 (talos-api.md P1). The body is unchanged, only the label is rewritten. EC and RSA labels
 * are standard and pass through.
 */
export function toNodeKeyPem(pem: string): string {
  return pem.replace(/-----(BEGIN|END) ED25519 PRIVATE KEY-----/g, "-----$1 PRIVATE KEY-----");
}

import {
  createSelfSignedCertificate,
  generateKeyPair,
  issueCertificate,
  type CertificateAndKey,
} from "../pki/index.js";

/** A Talos-like OS CA (Ed25519, O=talos) and client certificates with roles in the Organization. */
export async function makeOsCA(): Promise<CertificateAndKey> {
  const now = Date.now();
  return createSelfSignedCertificate(generateKeyPair("ed25519"), {
    organizations: ["talos"],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 10 * 365 * 24 * 3600 * 1000),
    isCA: true,
    keyUsages: ["digitalSignature", "keyCertSign"],
    extKeyUsages: ["serverAuth", "clientAuth"],
  });
}

export async function makeClientCert(ca: CertificateAndKey, roles: readonly string[]): Promise<CertificateAndKey> {
  const now = Date.now();
  return issueCertificate(ca, generateKeyPair("ed25519"), {
    organizations: roles,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 24 * 3600 * 1000),
    keyUsages: ["digitalSignature"],
    extKeyUsages: ["clientAuth"],
  });
}

import { createSelfSignedCertificate, generateKeyPair, issueCertificate, type CertificateAndKey } from "../pki/index.js";

/** Test and demo helpers: a Talos-like OS CA and client certificates with roles in the Organization. */
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

/** A small machine configuration the simulator accepts (tests; not a complete Talos config). */
export function sampleMachineConfig(o: { type: "controlplane" | "worker"; hostname: string; endpoint: string; image?: string; extra?: string }): string {
  return [
    "version: v1alpha1",
    "machine:",
    `  type: ${o.type}`,
    "  install:",
    "    disk: /dev/sda",
    `    image: ${o.image ?? "ghcr.io/siderolabs/installer:v1.13.9"}`,
    "  network:",
    `    hostname: ${o.hostname}`,
    "cluster:",
    "  clusterName: demo",
    "  controlPlane:",
    `    endpoint: ${o.endpoint}`,
    o.extra ?? "",
  ].join("\n");
}

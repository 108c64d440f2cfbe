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

/** Applies configs in maintenance mode (like `apply-config --insecure`) and waits until every node runs. */
export async function installNodes(
  fleet: { nodes: readonly { address: string; stage: string }[] },
  configs: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const { TalosClient, ApplyMode } = await import("../talosapi/client.js");
  const insecure = new TalosClient({ endpoints: [], nodes: Object.keys(configs), credentials: { kind: "maintenance" }, env });
  try {
    for (const [node, text] of Object.entries(configs)) {
      const [r] = await insecure.applyConfiguration(Buffer.from(text), { mode: ApplyMode.AUTO }, [node]);
      if (r?.error) throw r.error;
    }
  } finally {
    insecure.close();
  }
  await waitUntil("all nodes running", () => fleet.nodes.every((n) => n.stage === "running"));
}

export async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

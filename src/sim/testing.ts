export { makeClientCert, makeOsCA } from "./certs.js";

/** A small machine configuration the simulator accepts (tests; not a complete Talos config). */
export function sampleMachineConfig(o: {
  type: "controlplane" | "worker";
  hostname: string;
  endpoint: string;
  image?: string;
  extra?: string;
}): string {
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
  const insecure = new TalosClient({
    endpoints: [],
    nodes: Object.keys(configs),
    credentials: { kind: "maintenance" },
    env,
  });
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

import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { isLoopbackHost } from "../talosapi/transport.js";

/** What to simulate: a cluster's nodes, its OS CA (PEM) and the extension sets of the installer schematics. */
export interface FleetSpec {
  readonly clusterName: string;
  readonly osCA: { readonly crt: string; readonly key: string };
  readonly nodes: readonly SimNodeSpec[];
  /** schematic id → extension names, used when an upgrade installs a factory image of that schematic. */
  readonly schematics?: Readonly<Record<string, readonly string[]>>;
  /** `https://host:port` of the simulated Kubernetes API handed out by the Kubeconfig RPC. */
  readonly kubernetesEndpoint?: string;
}

export interface SimNodeSpec {
  readonly hostname: string;
  /** Must be a loopback IPv4 address (127.0.0.0/8): the node listens there on port 50000. */
  readonly address: string;
  readonly controlPlane: boolean;
  /** e.g. `v1.13.9`. */
  readonly talosVersion: string;
  readonly schematicId?: string;
  /** Extensions installed at first boot (otherwise those of `schematicId`). */
  readonly extensions?: readonly string[];
  /** Listen port (default 50000); tests may use others. */
  readonly port?: number;
}

const nodeSchema = z.strictObject({
  hostname: z.string().min(1),
  address: z.string().min(1),
  controlPlane: z.boolean(),
  talosVersion: z.string().regex(/^v?\d+\.\d+\.\d+/, "expected a Talos version like v1.13.9"),
  schematicId: z.string().optional(),
  extensions: z.array(z.string()).optional(),
  port: z.number().int().min(1).max(65535).optional(),
});

export const fleetSpecSchema = z.strictObject({
  clusterName: z.string().min(1),
  osCA: z.strictObject({ crt: z.string().includes("BEGIN CERTIFICATE"), key: z.string().includes("PRIVATE KEY") }),
  nodes: z.array(nodeSchema).min(1),
  schematics: z.record(z.string(), z.array(z.string())).optional(),
  kubernetesEndpoint: z.string().optional(),
});

/** Validates a fleet spec; every node address must be loopback (the simulator never listens elsewhere). */
export function validateFleetSpec(input: unknown): FleetSpec {
  const r = fleetSpecSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`invalid fleet spec at ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  const spec = r.data as FleetSpec;
  const seen = new Set<string>();
  for (const n of spec.nodes) {
    if (!isLoopbackHost(n.address) || n.address === "localhost") {
      throw new Error(
        `node ${n.hostname}: address ${n.address} is not a loopback address; simulated nodes listen only on 127.0.0.0/8 — ` +
          `use e.g. 127.0.10.1 for the simulator`,
      );
    }
    const key = `${n.address}:${n.port ?? 50000}`;
    if (seen.has(key)) throw new Error(`node ${n.hostname}: ${key} is used by another node`);
    seen.add(key);
  }
  return spec;
}

export function parseFleetSpec(text: string): FleetSpec {
  return validateFleetSpec(parseYaml(text));
}

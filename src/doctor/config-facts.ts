import { parseAllDocuments } from "yaml";

/**
 * The facts doctor compares against what a node shows, read leniently from a machine configuration (v1alpha1 plus
 * multi-doc documents of any Talos version: unknown kinds are skipped, never rejected — a node's config is evidence,
 * not input to validate).
 */
export interface MachineConfigFacts {
  readonly machineType?: string;
  /** Static addresses (CIDR or IP) from `.machine.network.interfaces[]` (and their VLANs). */
  readonly addresses: readonly string[];
  /** `.machine.network.nameservers` or `ResolverConfig`. */
  readonly nameservers: readonly string[];
  /** `.machine.time.servers` or `TimeSyncConfig`. */
  readonly timeServers: readonly string[];
  readonly nodeLabels: Readonly<Record<string, string>>;
  /** `key: value:Effect` as in `.machine.nodeTaints`. */
  readonly nodeTaints: Readonly<Record<string, string>>;
  /** `.machine.kernel.modules[].name` and `KernelModuleConfig` names. */
  readonly kernelModules: readonly string[];
  /** `.machine.sysctls` (and `SysctlConfig`). */
  readonly sysctls: Readonly<Record<string, string>>;
  /** Contents of `.machine.files[]` (containerd CRI patches live there). */
  readonly files: readonly { readonly path: string; readonly content: string }[];
  /** The tag of `.machine.kubelet.image`. */
  readonly kubeletVersion?: string;
  /** `.machine.ca.crt` as PEM text (the cluster's OS CA). */
  readonly osCaCrt?: string;
  readonly installImage?: string;
}

type Map_ = Record<string, unknown>;
const isMap = (v: unknown): v is Map_ => typeof v === "object" && v !== null && !Array.isArray(v);
const map = (v: unknown): Map_ => (isMap(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === "string");
const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(map(v))
      .filter(([, x]) => typeof x === "string" || typeof x === "number" || typeof x === "boolean")
      .map(([k, x]) => [k, String(x)]),
  );

export function machineConfigFacts(text: string): MachineConfigFacts {
  const docs = parseAllDocuments(text);
  const bodies = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as unknown).filter(isMap);
  const v1 = bodies.find((b) => b["kind"] === undefined) ?? {};
  const doc = (kind: string) => bodies.filter((b) => b["kind"] === kind);
  const machine = map(v1["machine"]);
  const network = map(machine["network"]);
  const interfaces = list(network["interfaces"]).map(map);
  const kubelet = map(machine["kubelet"]);
  const kubeletImage = typeof kubelet["image"] === "string" ? kubelet["image"] : "";
  const kubeletVersion = /:(v[^@:/]+)(?:@.*)?$/.exec(kubeletImage)?.[1];
  const caCrt = map(machine["ca"])["crt"];
  const install = map(machine["install"]);
  return {
    ...(typeof machine["type"] === "string" ? { machineType: machine["type"] } : {}),
    addresses: interfaces.flatMap((i) => [
      ...strings(i["addresses"]),
      ...list(i["vlans"])
        .map(map)
        .flatMap((v) => strings(v["addresses"])),
    ]),
    nameservers: [
      ...strings(network["nameservers"]),
      ...doc("ResolverConfig").flatMap((d) => list(d["nameservers"]).map((n) => String(map(n)["address"] ?? ""))),
    ].filter(Boolean),
    timeServers: [
      ...strings(map(machine["time"])["servers"]),
      ...doc("TimeSyncConfig").flatMap((d) => strings(map(d["ntp"])["servers"])),
    ],
    nodeLabels: stringMap(machine["nodeLabels"]),
    nodeTaints: stringMap(machine["nodeTaints"]),
    kernelModules: [
      ...list(map(machine["kernel"])["modules"]).map((m) => String(map(m)["name"] ?? "")),
      ...doc("KernelModuleConfig").map((d) => String(d["name"] ?? "")),
    ].filter(Boolean),
    sysctls: {
      ...stringMap(machine["sysctls"]),
      ...Object.assign({}, ...doc("SysctlConfig").map((d) => stringMap(d["sysctls"]))),
    },
    files: list(machine["files"])
      .map(map)
      .map((f) => ({ path: String(f["path"] ?? ""), content: String(f["content"] ?? "") })),
    ...(kubeletVersion ? { kubeletVersion } : {}),
    ...(typeof caCrt === "string" && caCrt ? { osCaCrt: Buffer.from(caCrt, "base64").toString("utf8") } : {}),
    ...(typeof install["image"] === "string" ? { installImage: install["image"] } : {}),
  };
}

import type { SimCluster } from "./cluster.js";
import type { SimNode } from "./node.js";
import { configFacts } from "./config.js";

/** A COSI resource as the simulator serves it; `spec` is rendered to `yaml_spec`. */
export interface SimResource {
  readonly namespace: string;
  readonly type: string;
  readonly id: string;
  readonly version: number;
  readonly owner?: string;
  readonly spec: unknown;
}

interface Definition {
  readonly type: string;
  readonly displayType: string;
  readonly defaultNamespace: string;
  readonly aliases: readonly string[];
}

/** The resource types the simulator serves, with the aliases `talform get` resolves (like talosctl's ResourceDefinitions). */
export const DEFINITIONS: readonly Definition[] = [
  { type: "MachineConfigs.config.talos.dev", displayType: "MachineConfig", defaultNamespace: "config", aliases: ["machineconfig", "mc"] },
  { type: "MachineStatuses.runtime.talos.dev", displayType: "MachineStatus", defaultNamespace: "runtime", aliases: ["machinestatus", "machinestatuses"] },
  { type: "ExtensionStatuses.runtime.talos.dev", displayType: "ExtensionStatus", defaultNamespace: "runtime", aliases: ["extensions", "extension", "extensionstatus", "extensionstatuses"] },
  { type: "Members.cluster.talos.dev", displayType: "Member", defaultNamespace: "cluster", aliases: ["members", "member"] },
  { type: "TimeStatuses.v1alpha1.talos.dev", displayType: "TimeStatus", defaultNamespace: "runtime", aliases: ["timestatus", "timestatuses"] },
  { type: "AddressStatuses.net.talos.dev", displayType: "AddressStatus", defaultNamespace: "network", aliases: ["addresses", "address", "addressstatus", "addressstatuses"] },
  { type: "RouteStatuses.net.talos.dev", displayType: "RouteStatus", defaultNamespace: "network", aliases: ["routes", "route", "routestatus", "routestatuses"] },
  { type: "ResolverStatuses.net.talos.dev", displayType: "ResolverStatus", defaultNamespace: "network", aliases: ["resolvers", "resolver", "resolverstatus", "resolverstatuses"] },
  { type: "Services.v1alpha1.talos.dev", displayType: "Service", defaultNamespace: "runtime", aliases: ["services", "service", "svc"] },
];

const STAGE_NAMES: Record<string, string> = {
  maintenance: "maintenance", installing: "installing", booting: "booting", running: "running", rebooting: "rebooting", upgrading: "upgrading", down: "rebooting",
};

export function listResources(cluster: SimCluster, node: SimNode): SimResource[] {
  const out: SimResource[] = [];
  const v = cluster.resourceVersion(node);
  for (const d of DEFINITIONS) {
    const allAliases = [...d.aliases, d.displayType.toLowerCase(), d.type.toLowerCase()];
    out.push({ namespace: "meta", type: "ResourceDefinitions.meta.cosi.dev", id: d.type, version: 1, spec: { type: d.type, displayType: d.displayType, defaultNamespace: d.defaultNamespace, aliases: d.aliases, allAliases, sensitivity: d.type.startsWith("MachineConfigs") ? "sensitive" : "nonsensitive" } });
  }
  if (node.config) out.push({ namespace: "config", type: "MachineConfigs.config.talos.dev", id: "v1alpha1", version: v, spec: node.config.text });
  // Like Talos: `persistent` is the config saved to disk — ahead of the active one while a staged config waits.
  const persistent = node.stagedConfig ?? node.config;
  if (persistent) out.push({ namespace: "config", type: "MachineConfigs.config.talos.dev", id: "persistent", version: v, spec: persistent.text });
  const facts = node.config ? configFacts(node.config) : undefined;
  out.push({
    namespace: "runtime",
    type: "MachineStatuses.runtime.talos.dev",
    id: "machine",
    version: v,
    spec: { stage: STAGE_NAMES[node.stage] ?? node.stage, status: { ready: node.stage === "running", unmetConditions: node.stage === "running" ? [] : [{ name: "services", reason: `stage ${node.stage}` }] } },
  });
  node.visibleExtensions().forEach((name, i) =>
    out.push({ namespace: "runtime", type: "ExtensionStatuses.runtime.talos.dev", id: String(i), version: v, spec: { image: `${name}.sqsh`, metadata: { name, version: node.faults.extensionVersions.get(name) ?? extensionVersion(name, node.talosVersion), author: "simulated", description: `${name} (simulated)`, compatibility: { talos: { version: `>= ${node.talosVersion}` } } } } }),
  );
  if (!node.inMaintenance) {
    for (const m of cluster.nodes.filter((n) => n.config)) {
      out.push({ namespace: "cluster", type: "Members.cluster.talos.dev", id: m.hostname, version: cluster.resourceVersion(m), spec: { nodeId: m.hostname, addresses: [m.address], hostname: m.hostname, machineType: m.controlPlane ? "controlplane" : "worker", operatingSystem: `Talos (${m.talosVersion})`, controlPlane: m.controlPlane ? { apiServerPort: 6443 } : null } });
    }
  }
  out.push({ namespace: "runtime", type: "TimeStatuses.v1alpha1.talos.dev", id: "node", version: v, spec: { synced: !node.faults.timeUnsynced, epoch: 0, syncDisabled: false } });
  const addresses = [`${node.address}/8`, ...(facts?.addresses ?? [])].filter((a) => !node.faults.droppedAddresses.has(a));
  for (const a of new Set(addresses)) {
    const local = a.split("/")[0]!;
    out.push({ namespace: "network", type: "AddressStatuses.net.talos.dev", id: `eth0/${a}`, version: 1, spec: { address: a, local, family: local.includes(":") ? "inet6" : "inet4", scope: "global", flags: "permanent", linkName: "eth0" } });
  }
  out.push({ namespace: "network", type: "AddressStatuses.net.talos.dev", id: "lo/127.0.0.1/8", version: 1, spec: { address: "127.0.0.1/8", local: "127.0.0.1", family: "inet4", scope: "host", flags: "permanent", linkName: "lo" } });
  if (!node.faults.noDefaultRoute) {
    out.push({ namespace: "network", type: "RouteStatuses.net.talos.dev", id: "inet4/127.0.0.1//1024", version: 1, spec: { family: "inet4", dst: "", src: "", gateway: "127.0.0.1", outLinkName: "eth0", table: "main", priority: 1024, scope: "global", type: "unicast", protocol: "static" } });
  }
  const dnsServers = node.faults.resolvers ?? (facts && facts.nameservers.length > 0 ? [...facts.nameservers] : ["127.0.0.53"]);
  out.push({ namespace: "network", type: "ResolverStatuses.net.talos.dev", id: "resolvers", version: 1, spec: { dnsServers, searchDomains: [] } });
  for (const s of cluster.services(node)) {
    out.push({ namespace: "runtime", type: "Services.v1alpha1.talos.dev", id: s.id, version: v, spec: { running: s.state === "Running", healthy: s.health?.healthy ?? false, unknown: s.health?.unknown ?? true } });
  }
  return out;
}

/** NVIDIA kernel-module extensions are versioned `<driver>-<talos release>` (NVIDIA GPU guide); others carry the release. */
export function extensionVersion(name: string, talosVersion: string): string {
  return /nvidia-open-gpu-kernel-modules|nonfree-kmod-nvidia/.test(name) ? `570.172.08-${talosVersion}` : talosVersion;
}

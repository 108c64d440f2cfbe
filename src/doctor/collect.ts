import type { TalosClient } from "../talosapi/client.js";
import { toError } from "../talosapi/client.js";
import { serviceFailing, LOG_LINES } from "./checks/index.js";
import { listKubeNodes } from "./kube.js";
import type { ClusterObservation, EtcdView, ExtensionView, NodeObservation, RouteView, ServiceView } from "./types.js";

export interface CollectOptions {
  /** Attach the last log lines of failing services (doctor). */
  readonly logs?: boolean;
  /** Control-plane addresses (from talconfig); otherwise taken from each node's machine config type. */
  readonly controlPlanes?: readonly string[];
  /** List Kubernetes nodes through the admin kubeconfig of a control plane. */
  readonly kubernetes?: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");

/** Runs `fn`; a failure becomes an `errors` entry instead of aborting the node. */
async function attempt<T>(errors: string[], what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    const msg = toError(e).message;
    // Older Talos versions do not know every resource id (e.g. MachineConfig `persistent`): not an error.
    if (!/not ?found|NotFound/i.test(msg)) errors.push(`${what}: ${msg}`);
    return undefined;
  }
}

/** The machine config text of a MachineConfig resource (the client reads both Talos encodings of its spec). */
async function machineConfigText(client: TalosClient, node: string, id: string): Promise<string | undefined> {
  const r = await client.getResource(node, "config", "MachineConfigs.config.talos.dev", id);
  return typeof r.spec === "string" ? r.spec : undefined;
}

/**
 * How often a service crashed in its event history: Running followed by Waiting/Failed (Talos: "Error running …,
 * restarting in 5s"). Deliberate stops (a config change restarting the kubelet) go through Stopping/Finished and do
 * not count.
 */
export function crashRestarts(events: readonly { state: string }[]): number {
  let n = 0;
  for (let i = 1; i < events.length; i++)
    if (events[i - 1]!.state === "Running" && (events[i]!.state === "Waiting" || events[i]!.state === "Failed")) n++;
  return n;
}

async function observeNode(client: TalosClient, node: string, o: CollectOptions): Promise<NodeObservation> {
  const [v] = await client.version([node]);
  if (!v || v.error) return { node, unreachable: v?.error?.message ?? "no answer" };
  const errors: string[] = [];
  const cosi = (ns: string, type: string, id: string) =>
    attempt(errors, `${type} ${id}`, () => client.getResource(node, ns, type, id));
  const list = (ns: string, type: string) => attempt(errors, type, () => client.listResources(node, ns, type));
  const [hostname, active, persistent, status, extensions, time, addresses, routes, resolvers, services, modules] =
    await Promise.all([
      attempt(errors, "Hostname", async () => (await client.hostname([node]))[0]?.value),
      attempt(errors, "MachineConfig v1alpha1", () => machineConfigText(client, node, "v1alpha1")),
      attempt(errors, "MachineConfig persistent", () => machineConfigText(client, node, "persistent")),
      cosi("runtime", "MachineStatuses.runtime.talos.dev", "machine"),
      list("runtime", "ExtensionStatuses.runtime.talos.dev"),
      cosi("runtime", "TimeStatuses.v1alpha1.talos.dev", "node"),
      list("network", "AddressStatuses.net.talos.dev"),
      list("network", "RouteStatuses.net.talos.dev"),
      cosi("network", "ResolverStatuses.net.talos.dev", "resolvers"),
      attempt(errors, "ServiceList", async () => {
        const [r] = await client.services([node]);
        if (r?.error) throw r.error;
        return r?.value ?? [];
      }),
      attempt(errors, "/proc/modules", async () => text(await client.read(node, "/proc/modules"))),
    ]);
  const serviceViews: ServiceView[] | undefined = services?.map((s) => ({
    id: s.id,
    state: s.state,
    healthy: s.health?.healthy ?? false,
    healthUnknown: s.health?.unknown ?? true,
    message: s.health?.lastMessage ?? s.events?.events.at(-1)?.msg ?? "",
    restarts: crashRestarts(s.events?.events ?? []),
  }));
  const logs: Record<string, string[]> = {};
  if (o.logs) {
    for (const s of serviceViews?.filter(serviceFailing) ?? []) {
      const lines = await attempt(errors, `logs ${s.id}`, async () => {
        let all = "";
        for await (const chunk of client.logs(node, s.id, { tail: LOG_LINES })) all += text(chunk);
        return all.split("\n").filter(Boolean).slice(-LOG_LINES);
      });
      if (lines) logs[s.id] = lines;
    }
  }
  const activeText = active;
  const statusSpec = status?.spec as { stage?: string; status?: { ready?: boolean } } | undefined;
  const machineType = activeText ? /^\s*type:\s*(controlplane|worker|init)\s*$/m.exec(activeText)?.[1] : undefined;
  const persistentText = persistent;
  return {
    node,
    talosVersion: v.value.version?.tag ?? "",
    ...(hostname ? { hostname } : {}),
    ...(machineType ? { machineType } : {}),
    ...(activeText ? { activeConfig: activeText } : {}),
    ...(persistentText ? { persistentConfig: persistentText } : {}),
    ...(statusSpec?.stage ? { stage: statusSpec.stage, ready: statusSpec.status?.ready ?? false } : {}),
    ...(serviceViews ? { services: serviceViews } : {}),
    ...(o.logs ? { logs } : {}),
    ...(extensions
      ? {
          extensions: extensions.map((r): ExtensionView => {
            const m = (r.spec as { metadata?: { name?: string; version?: string } } | undefined)?.metadata;
            return { name: m?.name ?? r.id, version: m?.version ?? "" };
          }),
        }
      : {}),
    ...(modules !== undefined
      ? {
          modules: modules
            .split("\n")
            .map((l) => l.split(" ")[0]!)
            .filter(Boolean),
        }
      : {}),
    ...(time ? { timeSynced: Boolean((time.spec as { synced?: boolean } | undefined)?.synced) } : {}),
    ...(addresses
      ? {
          addresses: addresses
            .map((r) => String((r.spec as { address?: string } | undefined)?.address ?? ""))
            .filter(Boolean),
        }
      : {}),
    ...(routes
      ? {
          routes: routes.map((r): RouteView => {
            const s = (r.spec ?? {}) as { dst?: string; gateway?: string; table?: string };
            return { dst: s.dst ?? "", gateway: s.gateway ?? "", table: s.table ?? "" };
          }),
        }
      : {}),
    ...(resolvers
      ? { resolvers: ((resolvers.spec as { dnsServers?: string[] } | undefined)?.dnsServers ?? []).map(String) }
      : {}),
    ...(errors.length > 0 ? { errors } : {}),
  };
}

/** Asks every node (≤ 8 in flight), then etcd (through a control plane) and Kubernetes (its admin kubeconfig). */
export async function collect(
  client: TalosClient,
  nodes: readonly string[],
  o: CollectOptions,
): Promise<ClusterObservation> {
  const results = await client.fanOut((n) => observeNode(client, n, o), nodes);
  const observed = results.map((r) => r.value ?? { node: r.node, unreachable: r.error!.message });
  const cps = (
    o.controlPlanes ??
    observed.filter((n) => n.machineType === "controlplane" || n.machineType === "init").map((n) => n.node)
  ).filter((cp) => observed.some((n) => n.node === cp && !n.unreachable));
  let etcd: EtcdView | undefined;
  let kubernetes: ClusterObservation["kubernetes"];
  if (cps.length > 0) {
    const [members] = await client.etcdMembers([cps[0]!]);
    const statuses = await client.etcdStatus(cps);
    etcd = {
      ...(members?.value
        ? { members: members.value.members.map((x) => ({ hostname: x.hostname, peerUrls: [...x.peerUrls] })) }
        : { error: members?.error?.message ?? "no answer" }),
      // NodeError messages start with the node; the status map is keyed by it already.
      status: Object.fromEntries(statuses.map((s) => [s.node, s.error?.message.replace(`${s.node}: `, "")])),
    };
    if (o.kubernetes) {
      try {
        kubernetes = { nodes: await listKubeNodes(await client.kubeconfig(cps[0]!), o.env) };
      } catch (e) {
        kubernetes = { error: toError(e).message };
      }
    }
  }
  return { nodes: observed, ...(etcd ? { etcd } : {}), ...(kubernetes ? { kubernetes } : {}) };
}

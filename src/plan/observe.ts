import { Code } from "@connectrpc/connect";
import { toError, type TalosClient } from "../talosapi/client.js";
import type { ClusterAccess } from "./cluster-access.js";
import { KUBERNETES_REMOVED } from "../contract/index.js";
import type { KubeApi } from "./kube-client.js";
import { configDigest, kubeletVersionOf, parseConfigDocuments } from "./config-documents.js";
import type { ObservedCluster, ObservedNode } from "./types.js";
import { mapBounded } from "../util/map-bounded.js";
import type { KubeNode } from "./kube-client.js";
import { discoverControlPlanes, discoverExtraNodes, observeMembership } from "./membership.js";

export { mapBounded };

export interface ObserveTarget {
  readonly hostname: string;
  readonly address: string;
  readonly controlPlane: boolean;
}

/**
 * Reads what every node runs, in parallel (at most `concurrency` nodes at once): reachability, maintenance mode,
 * Talos version, extensions/schematic, running config, boot id, etcd membership and health, Kubernetes readiness.
 */
export async function observeCluster(
  targets: readonly ObserveTarget[],
  access: ClusterAccess,
  opts: { concurrency?: number } = {},
): Promise<ObservedCluster> {
  // One control plane routes every read, asked once per observation (none answers before the install).
  const reader = await access.reader();
  const observe = (t: ObserveTarget) => observeNode(t, access, reader);
  let nodes = await mapBounded(targets, opts.concurrency ?? 32, observe);
  const discovered = await discoverControlPlanes(targets, nodes, access);
  if (discovered.length > 0) {
    nodes = [...nodes, ...(await mapBounded(discovered, opts.concurrency ?? 32, observe))];
    targets = [...targets, ...discovered];
  }
  const etcdBootstrapped = nodes.some((n) => n.etcd?.member);
  if (!etcdBootstrapped) return { nodes, etcdBootstrapped };
  let kubeNodes: KubeNode[] | undefined;
  let kubernetesObjects: Record<string, string[]> | undefined;
  try {
    const kube = await access.kube();
    if (kube) {
      kubeNodes = await kube.nodes();
      kubernetesObjects = await removedApiObjects(kube);
    }
  } catch {
    kubeNodes = undefined; // the Kubernetes API is down: readiness stays unknown, the plan does not depend on it
  }
  const membership = await observeMembership(targets, nodes, kubeNodes, access);
  // Members of the cluster the targets do not name (a node removed from talconfig.yaml): observe them too.
  const extra = discoverExtraNodes(targets, membership);
  if (extra.length > 0) nodes = [...nodes, ...(await mapBounded(extra, opts.concurrency ?? 32, observe))];
  const ready = kubeNodes ? new Map(kubeNodes.map((n) => [n.name, n.ready])) : undefined;
  const observed = ready
    ? nodes.map((n) => (n.maintenance || !n.reachable ? n : { ...n, kubernetesReady: ready.get(n.hostname) ?? false }))
    : nodes;
  return { nodes: observed, etcdBootstrapped, membership, ...(kubernetesObjects ? { kubernetesObjects } : {}) };
}

/**
 * The objects still served from every API version some Kubernetes minor removes (the contract's table), as
 * `talosctl upgrade-k8s` lists them before upgrading; a resource the server does not serve (404) has none.
 */
async function removedApiObjects(kube: KubeApi): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const resources = [...new Set(Object.values(KUBERNETES_REMOVED).flatMap((r) => r.apiResources ?? []))];
  await Promise.all(
    resources.map(async (arg) => {
      const [resource, version, ...group] = arg.split(".");
      const r = await kube.call("GET", `/apis/${group.join(".")}/${version}/${resource}`);
      if (r.status === 404) return;
      if (r.status >= 300) throw new Error(`listing ${arg}: ${r.status}`);
      const items = (r.json as { items?: { metadata: { name: string; namespace?: string } }[] }).items ?? [];
      if (items.length > 0)
        out[arg] = items.map((i) =>
          i.metadata.namespace ? `${i.metadata.namespace}/${i.metadata.name}` : i.metadata.name,
        );
    }),
  );
  return out;
}

/** One node, read through `reader` (ClusterAccess.reader) when there is one, else directly. */
export async function observeNode(
  t: ObserveTarget,
  access: ClusterAccess,
  reader?: TalosClient,
): Promise<ObservedNode> {
  const base = { hostname: t.hostname, address: t.address };
  const client = reader ?? access.secure(t.address);
  const [v] = await client.version([t.address]);
  if (v?.error) {
    // Not serving the cluster's mTLS API: a node in maintenance mode (self-signed certificate), or down.
    const m = access.insecure(t.address);
    try {
      const status = await m.getResource(t.address, "runtime", "MachineStatuses.runtime.talos.dev", "machine");
      const spec = status.spec as { stage?: string } | undefined;
      if (spec?.stage === "maintenance") {
        const [mv] = await m.version([t.address]);
        return {
          ...base,
          reachable: true,
          maintenance: true,
          stage: "maintenance",
          ready: false,
          ...(mv?.value?.version?.tag ? { talosVersion: mv.value.version.tag } : {}),
        };
      }
      return {
        ...base,
        reachable: false,
        maintenance: false,
        error: `the node answers without the cluster's certificates (stage ${spec?.stage ?? "unknown"})`,
      };
    } catch (e) {
      return {
        ...base,
        reachable: false,
        maintenance: false,
        error: `${v.error.error.message}; maintenance API: ${toError(e).message}`,
      };
    }
  }
  const settle = async <T>(p: Promise<T>): Promise<T | undefined> =>
    p.then(
      (x) => x,
      () => undefined,
    );
  const [status, extensions, configs, bootId, etcd] = await Promise.all([
    settle(client.getResource(t.address, "runtime", "MachineStatuses.runtime.talos.dev", "machine")),
    settle(client.listResources(t.address, "runtime", "ExtensionStatuses.runtime.talos.dev")),
    // The active config (`v1alpha1`) and the one saved to disk (`persistent`: ahead of the active one while a staged
    // config waits for the next reboot), in one call.
    settle(client.listResources(t.address, "config", "MachineConfigs.config.talos.dev")),
    settle(client.bootId(t.address)),
    t.controlPlane ? observeEtcd(t.address, client) : Promise.resolve(undefined),
  ]);
  const config = configs?.find((c) => c.id === "v1alpha1");
  const persistent = configs?.find((c) => c.id === "persistent");
  const spec = status?.spec as { stage?: string; status?: { ready?: boolean } } | undefined;
  const names: string[] = [];
  let schematicId: string | undefined;
  for (const e of extensions ?? []) {
    const md = (e.spec as { metadata?: { name?: string; version?: string } } | undefined)?.metadata;
    // Talos reports the image-factory schematic as a pseudo-extension named "schematic" whose version is the id.
    if (md?.name === "schematic") schematicId = md.version;
    else if (md?.name) names.push(md.name);
  }
  const configText = typeof config?.spec === "string" ? config.spec : undefined;
  let digest: string | undefined;
  let k8s: string | undefined;
  if (configText !== undefined) {
    try {
      // The running config mostly is the desired one: its digest is the one the plan computes for that text anyway.
      digest = configDigest(configText);
      k8s = kubeletVersionOf(parseConfigDocuments(configText));
    } catch {
      digest = undefined;
    }
  }
  let staged: string | undefined;
  // The saved config mostly is the active one: same YAML, no need to parse it.
  if (
    persistent &&
    persistent.yamlSpec !== config?.yamlSpec &&
    typeof persistent.spec === "string" &&
    persistent.spec !== configText
  ) {
    try {
      const d = configDigest(persistent.spec);
      if (d !== digest) staged = d;
    } catch {
      staged = undefined;
    }
  }
  return {
    ...base,
    reachable: true,
    maintenance: false,
    ...(staged ? { stagedConfigDigest: staged } : {}),
    ...(spec?.stage ? { stage: spec.stage, ready: spec.status?.ready === true } : {}),
    ...(v?.value?.version?.tag ? { talosVersion: v.value.version.tag } : {}),
    ...(schematicId ? { schematicId } : {}),
    ...(extensions ? { extensions: names.sort() } : {}),
    ...(configText !== undefined ? { configText } : {}),
    ...(digest ? { configDigest: digest } : {}),
    ...(bootId ? { bootId } : {}),
    ...(etcd ? { etcd } : {}),
    ...(k8s ? { kubernetesVersion: k8s } : {}),
  };
}

async function observeEtcd(
  address: string,
  client: TalosClient,
): Promise<{ member: boolean; healthy: boolean; members: number }> {
  const [[members], [status]] = await Promise.all([client.etcdMembers([address]), client.etcdStatus([address])]);
  const list = members?.value?.members ?? [];
  // Before bootstrap Talos answers FailedPrecondition ("etcd is not running"); any other error is a member in trouble.
  const notBootstrapped = (r: { error?: { code?: number } } | undefined) => r?.error?.code === Code.FailedPrecondition;
  const member =
    status?.value !== undefined || list.length > 0 || !(notBootstrapped(status) && notBootstrapped(members));
  return {
    member,
    healthy: status?.value !== undefined && (status.value.errors?.length ?? 0) === 0,
    members: list.length,
  };
}

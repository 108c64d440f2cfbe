// Test-only: an in-memory ControllerKube for the reconcile logic's unit tests (acceptance runs against a real
// kube-apiserver in test-k8s/). Leases follow the API server's optimistic concurrency: a write carrying a stale
// resourceVersion is a conflict.
import type { ClusterEvent, ControllerKube, Lease } from "./kube.js";
import type { TalosCluster, TalosClusterStatus } from "./types.js";

export interface MemoryKube extends ControllerKube {
  clusters: TalosCluster[];
  readonly configMaps: Map<string, Record<string, string>>;
  readonly secrets: Map<string, Record<string, string>>;
  readonly events: ClusterEvent[];
  readonly leases: Map<string, Lease>;
  status(name: string): TalosClusterStatus | undefined;
}

export function memoryKube(): MemoryKube {
  let rv = 1;
  const k: MemoryKube = {
    clusters: [],
    configMaps: new Map(),
    secrets: new Map(),
    events: [],
    leases: new Map(),
    status: (name) => k.clusters.find((c) => c.metadata.name === name)?.status,
    async listClusters(ns) {
      return structuredClone(k.clusters.filter((c) => c.metadata.namespace === ns));
    },
    // Like clientNodeKube's JSON Patch against the real API server: each given field replaced whole, others kept.
    async patchStatus(ns, name, status) {
      const i = k.clusters.findIndex((c) => c.metadata.namespace === ns && c.metadata.name === name);
      if (i < 0) throw new Error(`taloscluster ${ns}/${name} not found`);
      const c = k.clusters[i]!;
      k.clusters[i] = { ...c, status: { ...c.status, ...structuredClone(status) } };
    },
    async getConfigMap(ns, name) {
      const d = k.configMaps.get(`${ns}/${name}`);
      return d ? { ...d } : undefined;
    },
    async putConfigMap(ns, name, data) {
      k.configMaps.set(`${ns}/${name}`, { ...data });
    },
    async getSecret(ns, name) {
      const d = k.secrets.get(`${ns}/${name}`);
      return d ? { ...d } : undefined;
    },
    async createEvent(_ns, ev) {
      k.events.push(ev);
    },
    async getLease(ns, name) {
      const l = k.leases.get(`${ns}/${name}`);
      return l ? { ...l } : undefined;
    },
    async writeLease(ns, lease) {
      const key = `${ns}/${lease.name}`;
      const cur = k.leases.get(key);
      if ((cur?.resourceVersion ?? undefined) !== lease.resourceVersion) return false;
      k.leases.set(key, { ...lease, resourceVersion: String(++rv) });
      return true;
    },
  };
  return k;
}

/**
 * Where the simulated Kubernetes API keeps the objects it stores (everything but the Nodes and pods it derives from
 * the simulated machines). A small interface so another backend — the simulator's etcd key space — can hold them:
 * keys are `/registry/<group>/<resource>/<namespace>/<name>` like kube-apiserver's etcd layout.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [field: string]: unknown;
}

export interface KubeMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** Which collection an object belongs to: its API group (`""` for core) and plural resource name. */
export interface ResourceRef {
  readonly group: string;
  readonly resource: string;
}

export interface KubeObjectStore {
  get(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Every object of the collection, in one namespace or (undefined) all, sorted by namespace and name. */
  list(ref: ResourceRef, namespace: string | undefined): KubeObject[];
  /** Stores (creates or replaces) the object and returns it with its new `resourceVersion`. */
  put(ref: ResourceRef, obj: KubeObject): KubeObject;
  delete(ref: ResourceRef, namespace: string | undefined, name: string): boolean;
  /** The store's current revision (resourceVersion of lists). */
  revision(): number;
}

export function registryKey(ref: ResourceRef, namespace: string | undefined, name: string): string {
  return `${registryPrefix(ref, namespace)}${name}`;
}

/**
 * kube-apiserver's etcd layout: `/registry/<resource>/[<namespace>/]<name>` for built-in resources (Nodes under their
 * historical name `minions`), `/registry/<group>/<resource>/…` for other groups' resources.
 */
export function registryPrefix(ref: ResourceRef, namespace: string | undefined): string {
  const resource = ref.group === "" && ref.resource === "nodes" ? "minions" : ref.resource;
  const builtIn = ref.group === "" || ref.group === "apps" || ref.group === "batch" || ref.group.endsWith(".k8s.io");
  return `/registry/${builtIn ? "" : `${ref.group}/`}${resource}/${namespace === undefined ? "" : `${namespace}/`}`;
}

/** The in-memory store: a sorted map of registry keys, with one revision counter like etcd's. */
export function memoryKubeStore(): KubeObjectStore {
  const objects = new Map<string, KubeObject>();
  let rev = 1;
  const prefix = registryPrefix;
  return {
    get: (ref, namespace, name) => clone(objects.get(registryKey(ref, namespace, name))),
    list(ref, namespace) {
      const p = prefix(ref, namespace);
      return [...objects.entries()]
        .filter(([k]) => k.startsWith(p))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, v]) => clone(v)!);
    },
    put(ref, obj) {
      const stored = {
        ...structuredClone(obj),
        metadata: { ...structuredClone(obj.metadata), resourceVersion: String(++rev) },
      };
      objects.set(registryKey(ref, obj.metadata.namespace, obj.metadata.name), stored);
      return clone(stored)!;
    },
    delete(ref, namespace, name) {
      const deleted = objects.delete(registryKey(ref, namespace, name));
      if (deleted) rev++;
      return deleted;
    },
    revision: () => rev,
  };
}

function clone(o: KubeObject | undefined): KubeObject | undefined {
  return o === undefined ? undefined : structuredClone(o);
}

/** The part of the simulated etcd key space the Kubernetes API needs (`SimEtcd` implements it). */
export interface KeyValueBackend {
  get(key: string): { readonly value: string; readonly modRevision: number } | undefined;
  range(prefix: string): readonly { readonly key: string; readonly value: string; readonly modRevision: number }[];
  put(key: string, value: string): { readonly modRevision: number };
  delete(key: string): boolean;
  readonly revision: number;
}

/**
 * Objects kept in the simulated etcd under kube-apiserver's registry keys, as JSON, each object's resourceVersion its
 * key's mod revision: they are gone with etcd's quorum (every call throws, the API answers 500) and come back with a
 * snapshot restore, as a real cluster's objects do.
 */
export function etcdKubeStore(kv: KeyValueBackend): KubeObjectStore {
  const prefix = registryPrefix;
  const decode = (e: { value: string; modRevision: number }): KubeObject => {
    const o = JSON.parse(e.value) as KubeObject;
    return { ...o, metadata: { ...o.metadata, resourceVersion: String(e.modRevision) } };
  };
  return {
    get(ref, namespace, name) {
      const e = kv.get(registryKey(ref, namespace, name));
      return e ? decode(e) : undefined;
    },
    list: (ref, namespace) => kv.range(prefix(ref, namespace)).map(decode),
    put(ref, obj) {
      const { resourceVersion: _rv, ...metadata } = obj.metadata;
      const stored = { ...obj, metadata };
      const e = kv.put(registryKey(ref, obj.metadata.namespace, obj.metadata.name), JSON.stringify(stored));
      return {
        ...structuredClone(stored),
        metadata: { ...structuredClone(metadata), resourceVersion: String(e.modRevision) },
      } as KubeObject;
    },
    delete: (ref, namespace, name) => kv.delete(registryKey(ref, namespace, name)),
    revision: () => kv.revision,
  };
}

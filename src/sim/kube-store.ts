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
  return `/registry/${ref.group || "core"}/${ref.resource}/${namespace ?? ""}/${name}`;
}

/** The in-memory store: a sorted map of registry keys, with one revision counter like etcd's. */
export function memoryKubeStore(): KubeObjectStore {
  const objects = new Map<string, KubeObject>();
  let rev = 1;
  const prefix = (ref: ResourceRef, namespace: string | undefined) => `/registry/${ref.group || "core"}/${ref.resource}/${namespace === undefined ? "" : `${namespace}/`}`;
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
      const stored = { ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), resourceVersion: String(++rev) } };
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

import { removedApiResourcesBy } from "../contract/index.js";

/**
 * The API resources the simulated kube-apiserver serves, for discovery (`/api`, `/apis`, `/api/v1`,
 * `/apis/<group>/<version>`) and routing. Resources that a Kubernetes minor removed (the contract's table) are served
 * only while the simulated API server is older than that minor — which is what `upgrade-k8s`'s removed-API check
 * looks for.
 */
export interface ApiResource {
  readonly group: string;
  readonly version: string;
  /** Plural, as in URLs: `nodes`. */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  /** Derived from the simulated machines (read-only apart from Node patches), not stored. */
  readonly derived?: boolean;
}

const VERBS_STORED = ["create", "delete", "get", "list", "patch", "update"];
const VERBS_NODES = ["get", "list", "patch", "update"];
const VERBS_PODS = ["create", "delete", "get", "list", "patch", "update"];

const BASE: readonly ApiResource[] = [
  { group: "", version: "v1", resource: "nodes", kind: "Node", namespaced: false, shortNames: ["no"], derived: true },
  { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true, shortNames: ["po"] },
  { group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false, shortNames: ["ns"] },
  { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true, shortNames: ["cm"] },
  { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true },
  { group: "", version: "v1", resource: "services", kind: "Service", namespaced: true, shortNames: ["svc"] },
  {
    group: "",
    version: "v1",
    resource: "serviceaccounts",
    kind: "ServiceAccount",
    namespaced: true,
    shortNames: ["sa"],
  },
  { group: "apps", version: "v1", resource: "daemonsets", kind: "DaemonSet", namespaced: true, shortNames: ["ds"] },
  {
    group: "apps",
    version: "v1",
    resource: "deployments",
    kind: "Deployment",
    namespaced: true,
    shortNames: ["deploy"],
  },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "clusterroles",
    kind: "ClusterRole",
    namespaced: false,
  },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "clusterrolebindings",
    kind: "ClusterRoleBinding",
    namespaced: false,
  },
  {
    group: "flowcontrol.apiserver.k8s.io",
    version: "v1",
    resource: "flowschemas",
    kind: "FlowSchema",
    namespaced: false,
  },
  { group: "batch", version: "v1", resource: "jobs", kind: "Job", namespaced: true },
];

/**
 * Resources of API versions some Kubernetes minor removed (`KUBERNETES_REMOVED`): kind and scope, so objects can be
 * seeded in them (`sim fault cluster deprecated-api=<resource.version.group>/[<namespace>/]<name>`).
 */
const REMOVABLE: readonly ApiResource[] = [
  {
    group: "policy",
    version: "v1beta1",
    resource: "podsecuritypolicies",
    kind: "PodSecurityPolicy",
    namespaced: false,
    shortNames: ["psp"],
  },
  { group: "networking.k8s.io", version: "v1alpha1", resource: "clustercidrs", kind: "ClusterCIDR", namespaced: false },
  {
    group: "resource.k8s.io",
    version: "v1alpha3",
    resource: "podschedulingcontexts",
    kind: "PodSchedulingContext",
    namespaced: true,
  },
  { group: "scheduling.k8s.io", version: "v1alpha2", resource: "workloads", kind: "Workload", namespaced: true },
  { group: "scheduling.k8s.io", version: "v1alpha2", resource: "podgroups", kind: "PodGroup", namespaced: true },
];

export function resourceArg(r: ApiResource): string {
  return r.group ? `${r.resource}.${r.version}.${r.group}` : `${r.resource}.${r.version}`;
}

/** Everything an API server of Kubernetes `version` (`1.36.3`) serves. */
export function servedResources(version: string): ApiResource[] {
  const removed = new Set(removedApiResourcesBy(version));
  return [...BASE, ...REMOVABLE.filter((r) => !removed.has(resourceArg(r)))];
}

/** A removable resource by its `resource.version.group` spelling (served or not). */
export function removableResource(arg: string): ApiResource | undefined {
  return REMOVABLE.find((r) => resourceArg(r) === arg);
}

export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** `APIResourceList` of one group version (what `/api/v1` and `/apis/<g>/<v>` answer). */
export function apiResourceList(served: readonly ApiResource[], group: string, version: string): unknown | undefined {
  const rs = served.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  const list = {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: groupVersion({ group, version }),
    resources: rs.map((r) => ({
      name: r.resource,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.resource === "nodes" ? VERBS_NODES : r.resource === "pods" ? VERBS_PODS : VERBS_STORED,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    })),
  };
  if (group === "" && version === "v1") (list.resources as unknown[]).push(...CORE_SUBRESOURCES);
  return list;
}

/**
 * The subresources the simulator serves, listed in `/api/v1` the way kube-apiserver lists them: kubectl's drain (and
 * so talosctl's upgrade/reboot drain) evicts only when discovery names `pods/eviction` with group policy and version
 * v1, and deletes the pods otherwise.
 */
const CORE_SUBRESOURCES = [
  { name: "nodes/status", singularName: "", namespaced: false, kind: "Node", verbs: ["get"] },
  {
    name: "pods/eviction",
    singularName: "",
    namespaced: true,
    group: "policy",
    version: "v1",
    kind: "Eviction",
    verbs: ["create"],
  },
  { name: "pods/status", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] },
];

/** `APIGroupList` (`/apis`): every named group with its served versions, the first preferred. */
export function apiGroupList(served: readonly ApiResource[]): unknown {
  const groups = new Map<string, string[]>();
  for (const r of served) {
    if (!r.group) continue;
    const vs = groups.get(r.group) ?? [];
    if (!vs.includes(r.version)) vs.push(r.version);
    groups.set(r.group, vs);
  }
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [...groups].map(([name, versions]) => {
      const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}

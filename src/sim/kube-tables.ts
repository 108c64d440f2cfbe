import type { KubeObject } from "./kube-store.js";

/**
 * Server-side printing: kubectl asks for `as=Table` and prints the columns the server sends (priority 1 columns
 * with `-o wide`). These are the columns kube-apiserver's printers define for Nodes and Pods; other resources get
 * the default Name / Age table.
 */
interface Column {
  readonly name: string;
  readonly type: string;
  readonly format?: string;
  readonly priority?: number;
  readonly description: string;
}

type Cells = (obj: KubeObject, now: Date) => unknown[];

const NODE_COLUMNS: readonly Column[] = [
  { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace." },
  { name: "Status", type: "string", description: "The status of the node" },
  { name: "Roles", type: "string", description: "The roles of the node" },
  {
    name: "Age",
    type: "string",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
  },
  { name: "Version", type: "string", description: "Kubelet Version reported by the node." },
  {
    name: "Internal-IP",
    type: "string",
    priority: 1,
    description: "List of addresses reachable to the node. Queried from cloud provider, if available.",
  },
  {
    name: "External-IP",
    type: "string",
    priority: 1,
    description: "List of addresses reachable to the node. Queried from cloud provider, if available.",
  },
  {
    name: "OS-Image",
    type: "string",
    priority: 1,
    description: "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
  },
  {
    name: "Kernel-Version",
    type: "string",
    priority: 1,
    description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
  },
  {
    name: "Container-Runtime",
    type: "string",
    priority: 1,
    description: "Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
  },
];

const POD_COLUMNS: readonly Column[] = [
  { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace." },
  { name: "Ready", type: "string", description: "The aggregate readiness state of this pod for accepting traffic." },
  { name: "Status", type: "string", description: "The aggregate status of the containers in this pod." },
  {
    name: "Restarts",
    type: "string",
    description:
      "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
  },
  {
    name: "Age",
    type: "string",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
  },
  {
    name: "IP",
    type: "string",
    priority: 1,
    description: "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
  },
  {
    name: "Node",
    type: "string",
    priority: 1,
    description: "NodeName is a request to schedule this pod onto a specific node.",
  },
  {
    name: "Nominated Node",
    type: "string",
    priority: 1,
    description: "nominatedNodeName is set when this pod preempts other pods on the node.",
  },
  {
    name: "Readiness Gates",
    type: "string",
    priority: 1,
    description: "If specified, all readiness gates will be evaluated for pod readiness.",
  },
];

const DEFAULT_COLUMNS: readonly Column[] = [
  { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace." },
  {
    name: "Age",
    type: "string",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
  },
];

type Obj = Record<string, unknown>;
const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((c, p) => (c && typeof c === "object" ? (c as Obj)[p] : undefined), o);

const nodeCells: Cells = (o, now) => {
  const conditions = (get(o, "status", "conditions") as { type: string; status: string }[] | undefined) ?? [];
  const ready = conditions.find((c) => c.type === "Ready");
  let status = ready?.status === "True" ? "Ready" : ready ? "NotReady" : "Unknown";
  if (get(o, "spec", "unschedulable") === true) status += ",SchedulingDisabled";
  const labels = (o.metadata.labels ?? {}) as Record<string, string>;
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith("node-role.kubernetes.io/"))
    .map((k) => k.slice("node-role.kubernetes.io/".length))
    .sort();
  const addrs = (get(o, "status", "addresses") as { type: string; address: string }[] | undefined) ?? [];
  const info = (get(o, "status", "nodeInfo") ?? {}) as Record<string, string>;
  return [
    o.metadata.name,
    status,
    roles.join(",") || "<none>",
    age(o, now),
    info["kubeletVersion"] ?? "",
    addrs.find((a) => a.type === "InternalIP")?.address ?? "<none>",
    addrs.find((a) => a.type === "ExternalIP")?.address ?? "<none>",
    info["osImage"] ?? "<unknown>",
    info["kernelVersion"] ?? "<unknown>",
    info["containerRuntimeVersion"] ?? "<unknown>",
  ];
};

const podCells: Cells = (o, now) => {
  const statuses =
    (get(o, "status", "containerStatuses") as { ready: boolean; restartCount: number }[] | undefined) ?? [];
  const containers = (get(o, "spec", "containers") as unknown[] | undefined) ?? [];
  return [
    o.metadata.name,
    `${statuses.filter((s) => s.ready).length}/${containers.length}`,
    String(get(o, "status", "phase") ?? "Pending"),
    String(statuses.reduce((s, c) => s + c.restartCount, 0)),
    age(o, now),
    String(get(o, "status", "podIP") ?? "<none>"),
    String(get(o, "spec", "nodeName") ?? "<none>"),
    "<none>",
    "<none>",
  ];
};

const defaultCells: Cells = (o, now) => [o.metadata.name, age(o, now)];

const BY_KIND: Record<string, [readonly Column[], Cells]> = {
  Node: [NODE_COLUMNS, nodeCells],
  Pod: [POD_COLUMNS, podCells],
};

export function toTable(kind: string, objects: readonly KubeObject[], resourceVersion: string, now: Date): unknown {
  const [columns, cells] = BY_KIND[kind] ?? [DEFAULT_COLUMNS, defaultCells];
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({ priority: 0, format: "", ...c })),
    rows: objects.map((o) => ({
      cells: cells(o, now),
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
    })),
  };
}

/** kubectl's short age (`45s`, `3m12s`, `17m`, `5h`, `2d`), from the object's creation timestamp. */
export function age(o: KubeObject, now: Date): string {
  const created = o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : NaN;
  if (!Number.isFinite(created)) return "<unknown>";
  const s = Math.max(0, Math.floor((now.getTime() - created) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

import type { DesiredNode, KubeNode, ObservedCluster, Plan, PlanAction } from "../plan/index.js";
import type { LoggedEvent } from "../rollout/index.js";
import { serviceFailing, type ExtensionView, type Finding, type ServiceView } from "../doctor/index.js";

/**
 * View-models of the dashboard: pure functions from the data talform already has (observed cluster, plan value,
 * rollout events, doctor findings) to what a page shows. The HTML (pages.ts) only lays these out, so every judgement
 * ("is this node behind?", "which step failed?") is tested here without a server or a browser.
 */

export interface NodeRow {
  readonly hostname: string;
  readonly address: string;
  readonly role: "controlplane" | "worker";
  readonly reachable: boolean;
  readonly error?: string;
  /** MachineStatus stage, `maintenance`, or `unreachable`. */
  readonly stage: string;
  readonly talos: VersionCell;
  readonly kubernetes: VersionCell;
  readonly schematic?: string;
  readonly extensions: readonly string[];
  /** `member, healthy` / `member, unhealthy` / `not a member`; absent for workers. */
  readonly etcd?: string;
  readonly etcdHealthy?: boolean;
  /** Kubernetes `Ready` condition: `Ready`, `NotReady`, or `unknown` when the Kubernetes API did not answer. */
  readonly ready: "Ready" | "NotReady" | "unknown";
  readonly cordoned?: boolean;
  readonly bootId?: string;
  /** When this dashboard saw the boot id change (a reboot); the Talos API has no boot time to read. */
  readonly rebootSeenAt?: string;
}

/** An observed version beside the one talconfig asks for. */
export interface VersionCell {
  readonly observed?: string;
  readonly desired?: string;
  /** The node runs something else than talconfig says (both known and different). */
  readonly behind: boolean;
}

export interface ClusterView {
  readonly clusterName: string;
  readonly observedAt: string;
  readonly nodes: readonly NodeRow[];
  readonly counts: {
    readonly nodes: number;
    readonly reachable: number;
    readonly ready: number;
    readonly behind: number;
  };
}

export interface ClusterInput {
  readonly clusterName: string;
  readonly desired: readonly DesiredNode[];
  readonly observed: ObservedCluster;
  /** Kubernetes nodes, when the Kubernetes API answered. */
  readonly kube?: readonly KubeNode[];
  readonly observedAt: string;
  /** hostname → when a boot id change was seen. */
  readonly rebootsSeen?: Readonly<Record<string, string>>;
}

const strip = (v: string | undefined) => v?.replace(/^v/, "");

function versionCell(observed: string | undefined, desired: string | undefined): VersionCell {
  return {
    ...(observed ? { observed } : {}),
    ...(desired ? { desired } : {}),
    behind: observed !== undefined && desired !== undefined && strip(observed) !== strip(desired),
  };
}

export function clusterView(i: ClusterInput): ClusterView {
  const kube = new Map((i.kube ?? []).map((k) => [k.name, k]));
  const nodes = i.desired.map((d): NodeRow => {
    const o = i.observed.nodes.find((n) => n.hostname === d.hostname);
    const k = kube.get(d.hostname);
    const reachable = o?.reachable ?? false;
    const ready = o?.kubernetesReady ?? k?.ready;
    const seen = i.rebootsSeen?.[d.hostname];
    return {
      hostname: d.hostname,
      address: d.address,
      role: d.controlPlane ? "controlplane" : "worker",
      reachable,
      ...(o?.error ? { error: o.error } : {}),
      stage: !reachable ? "unreachable" : o?.maintenance ? "maintenance" : (o?.stage ?? "unknown"),
      talos: versionCell(o?.talosVersion, d.talosVersion),
      kubernetes: versionCell(
        o?.maintenance ? undefined : (o?.kubernetesVersion ?? strip(k?.kubeletVersion)),
        d.kubernetesVersion,
      ),
      ...(o?.schematicId ? { schematic: o.schematicId } : {}),
      extensions: o?.extensions ?? [],
      ...(d.controlPlane && o?.etcd
        ? {
            etcd: o.etcd.member ? `member, ${o.etcd.healthy ? "healthy" : "unhealthy"}` : "not a member",
            etcdHealthy: o.etcd.member && o.etcd.healthy,
          }
        : {}),
      ready: ready === undefined ? "unknown" : ready ? "Ready" : "NotReady",
      ...(k ? { cordoned: k.unschedulable } : {}),
      ...(o?.bootId ? { bootId: o.bootId } : {}),
      ...(seen ? { rebootSeenAt: seen } : {}),
    };
  });
  return {
    clusterName: i.clusterName,
    observedAt: i.observedAt,
    nodes,
    counts: {
      nodes: nodes.length,
      reachable: nodes.filter((n) => n.reachable).length,
      ready: nodes.filter((n) => n.ready === "Ready").length,
      behind: nodes.filter((n) => n.talos.behind || n.kubernetes.behind).length,
    },
  };
}

/** Boot ids seen so far and when each node's changed: the dashboard's own record of reboots. */
export function trackReboots(
  previous: Readonly<Record<string, { bootId: string; changedAt?: string }>>,
  observed: ObservedCluster,
  now: string,
): Record<string, { bootId: string; changedAt?: string }> {
  const next = { ...previous };
  for (const n of observed.nodes) {
    if (!n.bootId) continue;
    const before = previous[n.hostname];
    if (!before) next[n.hostname] = { bootId: n.bootId };
    else if (before.bootId !== n.bootId) next[n.hostname] = { bootId: n.bootId, changedAt: now };
  }
  return next;
}

// ---- rollout ---------------------------------------------------------------------------------------------------

export type StepStatus = "running" | "done" | "skipped" | "failed";

export interface StepRow {
  readonly id: string;
  readonly label: string;
  readonly status: StepStatus;
  readonly startedAt: string;
  readonly ms?: number;
  readonly error?: string;
  readonly why?: string;
}

export interface NodeProgress {
  readonly hostname: string;
  readonly status: "waiting" | "running" | "done" | "failed" | "not touched";
  readonly steps: readonly StepRow[];
}

export interface RolloutView {
  readonly state: "none" | "running" | "finished" | "failed";
  readonly resumed: boolean;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly ms?: number;
  readonly totalSteps: number;
  /** Steps done or skipped. */
  readonly finishedSteps: number;
  readonly nodes: readonly NodeProgress[];
  readonly messages: readonly { readonly at: string; readonly node?: string; readonly message: string }[];
  readonly failure?: { readonly node: string; readonly label: string; readonly error: string };
}

/** The latest rollout of an event log (the events after its last `rollout-start`). */
export function rolloutView(log: readonly LoggedEvent[]): RolloutView {
  let start = -1;
  for (let i = log.length - 1; i >= 0; i--) {
    if (log[i]!.event.type === "rollout-start") {
      start = i;
      break;
    }
  }
  if (start < 0) return { state: "none", resumed: false, totalSteps: 0, finishedSteps: 0, nodes: [], messages: [] };
  const first = log[start]!;
  const begin = first.event as Extract<LoggedEvent["event"], { type: "rollout-start" }>;
  const steps = new Map<string, StepRow[]>(begin.nodes.map((n) => [n, []]));
  const order: string[] = [...begin.nodes];
  const messages: { at: string; node?: string; message: string }[] = [];
  let done: Extract<LoggedEvent["event"], { type: "rollout-done" }> | undefined;
  let doneAt: string | undefined;
  let failure: RolloutView["failure"];
  let lastStarted: string | undefined;
  const rowsOf = (node: string) => {
    let rows = steps.get(node);
    if (!rows) {
      rows = [];
      steps.set(node, rows);
      order.push(node);
    }
    return rows;
  };
  const update = (node: string, id: string, f: (r: StepRow) => StepRow) => {
    const rows = rowsOf(node);
    const i = rows.findIndex((r) => r.id === id);
    if (i >= 0) rows[i] = f(rows[i]!);
  };
  for (const { at, event: e } of log.slice(start + 1)) {
    switch (e.type) {
      case "step-start":
        rowsOf(e.node).push({ id: e.step, label: e.label, status: "running", startedAt: at });
        lastStarted = e.node;
        break;
      case "step-done":
        update(e.node, e.step, (r) => ({ ...r, status: "done", ms: e.ms }));
        break;
      case "step-skip":
        rowsOf(e.node).push({ id: e.step, label: e.label, status: "skipped", startedAt: at, why: e.why });
        break;
      case "step-failed":
        update(e.node, e.step, (r) => ({
          ...r,
          status: "failed",
          error: e.error,
          ms: Date.parse(at) - Date.parse(r.startedAt),
        }));
        failure = { node: e.node, label: e.label, error: e.error };
        break;
      case "info":
        messages.push({ at, ...(e.node ? { node: e.node } : {}), message: e.message });
        break;
      case "rollout-done":
        done = e;
        doneAt = at;
        break;
      case "rollout-start":
        break;
    }
  }
  const nodes = order.map((hostname): NodeProgress => {
    const rows = steps.get(hostname) ?? [];
    let status: NodeProgress["status"];
    if (rows.some((r) => r.status === "failed")) status = "failed";
    else if (rows.length === 0) status = done ? (done.ok ? "done" : "not touched") : "waiting";
    else if (done) status = done.ok || done.failedNode !== hostname ? "done" : "failed";
    else if (rows.some((r) => r.status === "running") || lastStarted === hostname) status = "running";
    else status = "done";
    return { hostname, status, steps: rows };
  });
  const finishedSteps = [...steps.values()].flat().filter((r) => r.status === "done" || r.status === "skipped").length;
  return {
    state: done ? (done.ok ? "finished" : "failed") : "running",
    resumed: begin.resumed,
    startedAt: first.at,
    ...(doneAt ? { finishedAt: doneAt } : {}),
    ...(done ? { ms: done.ms } : {}),
    totalSteps: begin.steps,
    finishedSteps,
    nodes,
    messages,
    ...(failure ? { failure } : {}),
  };
}

// ---- plan ------------------------------------------------------------------------------------------------------

export interface PlanNodeView {
  readonly hostname: string;
  readonly address: string;
  readonly role: "controlplane" | "worker";
  readonly actions: readonly { readonly type: string; readonly summary: string; readonly reason: string }[];
  readonly reboots: boolean;
  /** One line per changed leaf; secret values are already `(sensitive)` in the plan. */
  readonly diff: readonly { readonly op: "add" | "remove" | "change"; readonly where: string; readonly text: string }[];
  readonly drift: boolean;
}

export interface PlanView {
  readonly clusterName: string;
  readonly createdAt: string;
  readonly changes: number;
  readonly nodesChanged: number;
  readonly unchanged: readonly string[];
  readonly nodes: readonly PlanNodeView[];
  readonly errors: readonly { readonly node?: string; readonly message: string; readonly hint?: string }[];
  readonly appliable: boolean;
}

const extensionsNote = (e: readonly string[]) => (e.length ? ` (extensions: ${e.join(", ")})` : "");

export function actionSummary(a: PlanAction): string {
  switch (a.type) {
    case "upgrade":
      return `upgrade Talos ${a.from} → ${a.to}${extensionsNote(a.extensions)}`;
    case "upgrade-k8s":
      return `upgrade Kubernetes ${a.from} → ${a.to}`;
    case "apply-config":
      return `apply config (${a.mode === "reboot" ? `reboots: ${a.rebootReasons.join(", ") || "yes"}` : "no reboot"})`;
    case "install":
      return `install Talos ${a.talosVersion}`;
    default:
      return a.type;
  }
}

const show = (v: unknown) => (v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));

export function planView(plan: Plan): PlanView {
  const nodes = plan.nodes
    .filter((n) => n.actions.length > 0 || n.drift)
    .map((n): PlanNodeView => ({
      hostname: n.hostname,
      address: n.address,
      role: n.controlPlane ? "controlplane" : "worker",
      actions: n.actions.map((a) => ({ type: a.type, summary: actionSummary(a), reason: a.reason })),
      reboots: n.reboots,
      diff: n.diff.map((d) => ({
        op: d.op,
        where: `${d.document} ${d.path}`,
        text:
          d.op === "add" ? show(d.after) : d.op === "remove" ? show(d.before) : `${show(d.before)} → ${show(d.after)}`,
      })),
      drift: n.drift !== undefined,
    }));
  return {
    clusterName: plan.clusterName,
    createdAt: plan.createdAt,
    changes: plan.summary.changes,
    nodesChanged: plan.summary.nodesChanged,
    unchanged: plan.nodes.filter((n) => n.actions.length === 0 && !n.drift).map((n) => n.hostname),
    nodes,
    errors: plan.errors.map((e) => ({
      ...(e.node ? { node: e.node } : {}),
      message: e.message,
      ...(e.hint ? { hint: e.hint } : {}),
    })),
    appliable: plan.errors.length === 0 && plan.summary.changes > 0,
  };
}

// ---- doctor and node -------------------------------------------------------------------------------------------

export interface DoctorView {
  readonly errors: number;
  readonly warnings: number;
  readonly groups: readonly { readonly node: string; readonly findings: readonly Finding[] }[];
  readonly notes: readonly string[];
}

export function doctorView(findings: readonly Finding[], notes: readonly string[] = []): DoctorView {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = f.node ?? "cluster";
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const rank = (f: Finding) => (f.severity === "error" ? 0 : 1);
  return {
    errors: findings.filter((f) => f.severity === "error").length,
    warnings: findings.filter((f) => f.severity === "warning").length,
    groups: [...groups].map(([node, fs]) => ({ node, findings: [...fs].sort((a, b) => rank(a) - rank(b)) })),
    notes,
  };
}

export interface NodeDetailView {
  readonly hostname: string;
  readonly address: string;
  readonly error?: string;
  readonly services: readonly (ServiceView & { readonly failing: boolean })[];
  readonly extensions: readonly ExtensionView[];
  readonly logService: string;
  readonly logs: readonly string[];
  readonly kernel: readonly string[];
}

/** The last `max` lines of a stream's text (Talos log chunks are not line-aligned). */
export function lastLines(text: string, max: number): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.slice(-max);
}

export function nodeDetailView(i: {
  hostname: string;
  address: string;
  error?: string;
  services?: readonly ServiceView[];
  extensions?: readonly ExtensionView[];
  logService: string;
  logs: string;
  kernel: string;
  maxLines?: number;
}): NodeDetailView {
  const max = i.maxLines ?? 200;
  return {
    hostname: i.hostname,
    address: i.address,
    ...(i.error ? { error: i.error } : {}),
    services: (i.services ?? []).map((s) => ({ ...s, failing: serviceFailing(s) })),
    extensions: i.extensions ?? [],
    logService: i.logService,
    logs: lastLines(i.logs, max),
    kernel: lastLines(i.kernel, max),
  };
}

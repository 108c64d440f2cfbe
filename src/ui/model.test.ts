import { test } from "node:test";
import assert from "node:assert/strict";
import type { DesiredNode, ObservedNode } from "../plan/index.js";
import type { LoggedEvent } from "../rollout/index.js";
import type { RolloutEvent } from "../rollout/index.js";
import { planOf } from "./test-support.js";
import { clusterView, doctorView, lastLines, nodeDetailView, planView, rolloutView, trackReboots } from "./model.js";

const desired = (hostname: string, controlPlane: boolean): DesiredNode => ({
  hostname,
  address: `127.0.9.${controlPlane ? 1 : 11}`,
  controlPlane,
  talosVersion: "v1.13.9",
  installImage: "factory.talos.dev/metal-installer/abc:v1.13.9",
  extensions: [],
  kubernetesVersion: "1.36.3",
  configText: "",
});

test("clusterView: versions beside what talconfig asks for, etcd, readiness, cordon, unreachable nodes", () => {
  const nodes: ObservedNode[] = [
    {
      hostname: "cp1",
      address: "127.0.9.1",
      reachable: true,
      maintenance: false,
      stage: "running",
      talosVersion: "v1.12.11",
      kubernetesVersion: "1.36.3",
      schematicId: "f00d",
      extensions: ["siderolabs/iscsi-tools"],
      etcd: { member: true, healthy: true, members: 1 },
      kubernetesReady: true,
      bootId: "b1",
    },
    { hostname: "w1", address: "127.0.9.11", reachable: false, maintenance: false, error: "connection refused" },
  ];
  const v = clusterView({
    clusterName: "lab",
    desired: [desired("cp1", true), desired("w1", false)],
    observed: { nodes, etcdBootstrapped: true },
    kube: [{ name: "cp1", ready: true, unschedulable: true, kubeletVersion: "v1.36.3" }],
    observedAt: "2026-01-01T00:00:00Z",
  });
  const [cp1, w1] = v.nodes;
  assert.deepEqual(cp1!.talos, { observed: "v1.12.11", desired: "v1.13.9", behind: true });
  assert.deepEqual(cp1!.kubernetes, { observed: "1.36.3", desired: "1.36.3", behind: false });
  assert.equal(cp1!.etcd, "member, healthy");
  assert.equal(cp1!.ready, "Ready");
  assert.equal(cp1!.cordoned, true);
  assert.deepEqual(cp1!.extensions, ["siderolabs/iscsi-tools"]);
  assert.equal(w1!.stage, "unreachable");
  assert.equal(w1!.ready, "unknown");
  assert.equal(w1!.etcd, undefined);
  assert.deepEqual(w1!.talos, { desired: "v1.13.9", behind: false });
  assert.deepEqual(v.counts, { nodes: 2, reachable: 1, ready: 1, behind: 1 });
});

test("trackReboots records when a boot id changes, not when it is first seen", () => {
  const obs = (bootId: string) => ({
    nodes: [{ hostname: "cp1", address: "a", reachable: true, maintenance: false, bootId }],
    etcdBootstrapped: true,
  });
  let t = trackReboots({}, obs("b1"), "t1");
  assert.deepEqual(t, { cp1: { bootId: "b1" } });
  t = trackReboots(t, obs("b1"), "t2");
  assert.deepEqual(t, { cp1: { bootId: "b1" } });
  t = trackReboots(t, obs("b2"), "t3");
  assert.deepEqual(t, { cp1: { bootId: "b2", changedAt: "t3" } });
});

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const log = (...events: RolloutEvent[]): LoggedEvent[] => events.map((event, i) => ({ at: at(i), event }));
const start: RolloutEvent = { type: "rollout-start", nodes: ["cp1", "w1", "w2"], steps: 6, resumed: false };
const s = (node: string, step: string): RolloutEvent => ({
  type: "step-start",
  node,
  step: `${node}/${step}`,
  label: step,
});
const d = (node: string, step: string, ms = 100): RolloutEvent => ({
  type: "step-done",
  node,
  step: `${node}/${step}`,
  label: step,
  ms,
});

const rolloutCases: {
  name: string;
  events: LoggedEvent[];
  state: string;
  nodes: Record<string, string>;
  finished: number;
}[] = [
  { name: "no rollout", events: [], state: "none", nodes: {}, finished: 0 },
  {
    name: "running: cp1 done, w1 mid-step, w2 waiting",
    events: log(start, s("cp1", "verify"), d("cp1", "verify"), s("w1", "upgrade")),
    state: "running",
    nodes: { cp1: "done", w1: "running", w2: "waiting" },
    finished: 1,
  },
  {
    name: "between two steps the node is still running",
    events: log(start, s("cp1", "pre-check"), d("cp1", "pre-check")),
    state: "running",
    nodes: { cp1: "running", w1: "waiting", w2: "waiting" },
    finished: 1,
  },
  {
    name: "failed at w1: w2 untouched",
    events: log(
      start,
      s("cp1", "verify"),
      d("cp1", "verify"),
      s("w1", "upgrade"),
      { type: "step-failed", node: "w1", step: "w1/upgrade", label: "upgrade", error: "image not found" },
      { type: "rollout-done", ok: false, failedNode: "w1", ms: 4000 },
    ),
    state: "failed",
    nodes: { cp1: "done", w1: "failed", w2: "not touched" },
    finished: 1,
  },
  {
    name: "only the latest run of the log counts",
    events: log(start, s("cp1", "verify"), { type: "rollout-done", ok: false, ms: 1 }, {
      ...start,
      resumed: true,
    } as RolloutEvent),
    state: "running",
    nodes: { cp1: "waiting", w1: "waiting", w2: "waiting" },
    finished: 0,
  },
];

for (const c of rolloutCases) {
  test(`rolloutView: ${c.name}`, () => {
    const v = rolloutView(c.events);
    assert.equal(v.state, c.state);
    assert.deepEqual(Object.fromEntries(v.nodes.map((n) => [n.hostname, n.status])), c.nodes);
    assert.equal(v.finishedSteps, c.finished);
  });
}

test("rolloutView: the failure with its step, error and duration", () => {
  const v = rolloutView(rolloutCases[3]!.events);
  assert.deepEqual(v.failure, { node: "w1", label: "upgrade", error: "image not found" });
  const step = v.nodes[1]!.steps[0]!;
  assert.equal(step.status, "failed");
  assert.equal(step.ms, 1000);
  assert.equal(v.ms, 4000);
});

test("planView: actions with why, redacted diff lines, unchanged nodes, appliable only without errors", () => {
  const plan = planOf([
    {
      hostname: "cp1",
      address: "a",
      controlPlane: true,
      observed: { reachable: true, maintenance: false },
      actions: [
        { type: "upgrade", reason: "runs v1.12.11", from: "v1.12.11", to: "v1.13.9", image: "i", extensions: [] },
      ],
      reboots: true,
      diff: [
        { document: "v1alpha1", path: "machine.token", op: "change", before: "(sensitive)", after: "(sensitive)" },
        { document: "v1alpha1", path: "machine.nodeLabels.role", op: "add", after: "gpu" },
      ],
    },
    {
      hostname: "w1",
      address: "b",
      controlPlane: false,
      observed: { reachable: true, maintenance: false },
      actions: [],
      reboots: false,
      diff: [],
    },
  ]);
  const v = planView(plan);
  assert.deepEqual(v.nodes[0]!.actions, [
    { type: "upgrade", summary: "upgrade Talos v1.12.11 → v1.13.9", reason: "runs v1.12.11" },
  ]);
  assert.deepEqual(
    v.nodes[0]!.diff.map((x) => x.text),
    ["(sensitive) → (sensitive)", "gpu"],
  );
  assert.deepEqual(v.unchanged, ["w1"]);
  assert.equal(v.appliable, true);
  assert.equal(planView({ ...plan, errors: [{ code: "x", message: "unreachable" }] }).appliable, false);
});

test("doctorView groups findings by node, errors first", () => {
  const f = (node: string | undefined, severity: "error" | "warning", code: string) => ({
    code,
    severity,
    ...(node ? { node } : {}),
    symptom: code,
    evidence: [],
    fix: "talform apply",
  });
  const v = doctorView([f("w1", "warning", "a"), f("w1", "error", "b"), f(undefined, "error", "c")]);
  assert.equal(v.errors, 2);
  assert.deepEqual(
    v.groups.map((g) => [g.node, g.findings.map((x) => x.code)]),
    [
      ["w1", ["b", "a"]],
      ["cluster", ["c"]],
    ],
  );
});

test("nodeDetailView: failing services marked; logs cut to the last lines", () => {
  const svc = (id: string, state: string, healthy: boolean) => ({
    id,
    state,
    healthy,
    healthUnknown: false,
    message: "",
    restarts: 0,
  });
  const v = nodeDetailView({
    hostname: "w1",
    address: "a",
    services: [svc("kubelet", "Running", true), svc("etcd", "Failed", false)],
    logService: "kubelet",
    logs: "1\n2\n3\n",
    kernel: "k1\nk2",
    maxLines: 2,
  });
  assert.deepEqual(
    v.services.map((s) => [s.id, s.failing]),
    [
      ["kubelet", false],
      ["etcd", true],
    ],
  );
  assert.deepEqual(v.logs, ["2", "3"]);
  assert.deepEqual(lastLines("a\nb", 5), ["a", "b"]);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { decide, mergeConditions, type Observation } from "./decide.js";

const plan = (over: Partial<NonNullable<Observation["plan"]>> = {}) => ({
  digest: "sha256:abc",
  changes: 2,
  errors: [],
  removes: [],
  ...over,
});
const base: Observation = {
  paused: false,
  specProblems: [],
  plan: plan(),
  resumable: false,
  approval: "auto",
  allowRemove: false,
  window: { open: true },
  clusterName: "lab",
};

const cases: { name: string; over: Partial<Observation>; action: string; phase: string; reasons: string[] }[] = [
  {
    name: "changes, auto approval: apply",
    over: {},
    action: "apply",
    phase: "Progressing",
    reasons: ["Planned=True/ChangesPlanned", "Progressing=True/RollingOut"],
  },
  {
    name: "no changes: Ready",
    over: { plan: plan({ changes: 0 }) },
    action: "none",
    phase: "Ready",
    reasons: ["Planned=True/NoChanges", "Progressing=False/UpToDate", "Ready=True/UpToDate", "Degraded=False/UpToDate"],
  },
  {
    name: "a bad spec: Degraded with the finding, nothing planned",
    over: { specProblems: ["spec.talconfig.inline.nodes[0].ipAddress: not an IP"], plan: undefined },
    action: "none",
    phase: "Degraded",
    reasons: [
      "Degraded=True/InvalidSpec",
      "Planned=False/InvalidSpec",
      "Progressing=False/InvalidSpec",
      "Ready=Unknown/InvalidSpec",
    ],
  },
  {
    name: "plan errors: Degraded, not applied",
    over: { plan: plan({ errors: ["cp1: unreachable"] }) },
    action: "none",
    phase: "Degraded",
    reasons: [
      "Planned=False/PlanErrors",
      "Degraded=True/PlanErrors",
      "Progressing=False/PlanErrors",
      "Ready=False/PlanErrors",
    ],
  },
  {
    name: "paused: planned, nothing changed",
    over: { paused: true },
    action: "none",
    phase: "Paused",
    reasons: ["Planned=True/ChangesPlanned", "Progressing=False/Paused"],
  },
  {
    name: "paused wins over an unfinished run",
    over: { paused: true, resumable: true },
    action: "none",
    phase: "Paused",
    reasons: ["Planned=True/ChangesPlanned", "Progressing=False/Paused"],
  },
  {
    name: "manual approval without the annotation: waits",
    over: { approval: "manual" },
    action: "none",
    phase: "AwaitingApproval",
    reasons: ["Planned=True/ChangesPlanned", "Progressing=False/AwaitingApproval", "Ready=False/ChangesPending"],
  },
  {
    name: "manual approval of another plan: waits",
    over: { approval: "manual", approved: "sha256:old" },
    action: "none",
    phase: "AwaitingApproval",
    reasons: ["Planned=True/ChangesPlanned", "Progressing=False/AwaitingApproval", "Ready=False/ChangesPending"],
  },
  {
    name: "manual approval with this plan's digest: apply",
    over: { approval: "manual", approved: "sha256:abc" },
    action: "apply",
    phase: "Progressing",
    reasons: ["Planned=True/ChangesPlanned", "Progressing=True/RollingOut"],
  },
  {
    name: "window closed: waits",
    over: { window: { open: false, opensAt: new Date("2026-12-03T02:00:00Z") } },
    action: "none",
    phase: "WaitingForWindow",
    reasons: [
      "Planned=True/ChangesPlanned",
      "Progressing=False/OutsideMaintenanceWindow",
      "Ready=False/ChangesPending",
    ],
  },
  {
    name: "window closed and nothing to do: Ready",
    over: { window: { open: false }, plan: plan({ changes: 0 }) },
    action: "none",
    phase: "Ready",
    reasons: ["Planned=True/NoChanges", "Progressing=False/UpToDate", "Ready=True/UpToDate", "Degraded=False/UpToDate"],
  },
  {
    name: "an unfinished run resumes (approved when it started)",
    over: { resumable: true, approval: "manual" },
    action: "resume",
    phase: "Progressing",
    reasons: ["Progressing=True/Resuming"],
  },
  {
    name: "an unfinished run waits for the window",
    over: { resumable: true, window: { open: false } },
    action: "none",
    phase: "WaitingForWindow",
    reasons: [
      "Planned=True/ChangesPlanned",
      "Progressing=False/OutsideMaintenanceWindow",
      "Ready=False/ChangesPending",
    ],
  },
  {
    name: "removals need allowRemove",
    over: { plan: plan({ removes: ["w3"] }) },
    action: "none",
    phase: "AwaitingApproval",
    reasons: ["Planned=True/ChangesPlanned", "Progressing=False/RemovalNotAllowed", "Ready=False/ChangesPending"],
  },
  {
    name: "removals with allowRemove: apply",
    over: { plan: plan({ removes: ["w3"] }), allowRemove: true },
    action: "apply",
    phase: "Progressing",
    reasons: ["Planned=True/ChangesPlanned", "Progressing=True/RollingOut"],
  },
];

for (const c of cases)
  test(`decide: ${c.name}`, () => {
    const d = decide({ ...base, ...c.over });
    assert.equal(d.action, c.action);
    assert.equal(d.phase, c.phase);
    assert.deepEqual(
      d.conditions.map((x) => `${x.type}=${x.status}/${x.reason}`),
      c.reasons,
    );
  });

test("decide: the approval hint names the annotation and the digest", () => {
  const d = decide({ ...base, approval: "manual" });
  const p = d.conditions.find((x) => x.type === "Progressing")!;
  assert.match(p.message, /kubectl annotate taloscluster lab --overwrite talform\.dev\/approve-plan=sha256:abc/);
});

test("mergeConditions: lastTransitionTime moves only when the status changes", () => {
  const t1 = new Date("2026-12-02T10:00:00Z");
  const t2 = new Date("2026-12-02T11:00:00Z");
  const first = mergeConditions(undefined, [{ type: "Ready", status: "False", reason: "A", message: "a" }], t1, 1);
  const same = mergeConditions(first, [{ type: "Ready", status: "False", reason: "B", message: "b" }], t2, 2);
  assert.equal(same[0]!.lastTransitionTime, t1.toISOString());
  assert.equal(same[0]!.reason, "B");
  assert.equal(same[0]!.observedGeneration, 2);
  const flipped = mergeConditions(same, [{ type: "Ready", status: "True", reason: "C", message: "c" }], t2, 2);
  assert.equal(flipped[0]!.lastTransitionTime, t2.toISOString());
  const ordered = mergeConditions(
    flipped,
    [
      { type: "Degraded", status: "False", reason: "x", message: "" },
      { type: "Planned", status: "True", reason: "x", message: "" },
    ],
    t2,
    2,
  );
  assert.deepEqual(
    ordered.map((x) => x.type),
    ["Planned", "Ready", "Degraded"],
  );
});

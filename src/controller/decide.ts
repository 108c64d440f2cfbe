import type { Condition, ConditionType, Phase } from "./types.js";
import type { WindowState } from "./windows.js";

/** What one reconcile found; `decide` turns it into what to do and the status to publish. Pure, table-tested. */
export interface Observation {
  readonly paused: boolean;
  /** Located findings in the spec or its inputs (talconfig, secrets, windows): nothing is touched then. */
  readonly specProblems: readonly string[];
  readonly plan?: {
    readonly digest: string;
    readonly changes: number;
    readonly errors: readonly string[];
    readonly removes: readonly string[];
  };
  /** An unfinished run of the plan the current inputs produce (the controller restarted, a window closed). */
  readonly resumable: boolean;
  readonly approval: "auto" | "manual";
  /** The value of the approve annotation. */
  readonly approved?: string;
  readonly allowRemove: boolean;
  readonly window: WindowState;
  readonly clusterName: string;
}

export type ConditionUpdate = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

export interface Decision {
  readonly action: "none" | "apply" | "resume";
  readonly phase: Phase;
  readonly conditions: readonly ConditionUpdate[];
}

const c = (type: ConditionType, status: Condition["status"], reason: string, message: string): ConditionUpdate => ({
  type,
  status,
  reason,
  message,
});

export function decide(o: Observation): Decision {
  if (o.specProblems.length > 0) {
    const message = o.specProblems.join("; ");
    return {
      action: "none",
      phase: "Degraded",
      conditions: [
        c("Degraded", "True", "InvalidSpec", message),
        c("Planned", "False", "InvalidSpec", "the spec has findings; nothing was planned or touched"),
        c("Progressing", "False", "InvalidSpec", "nothing is rolled out until the spec is fixed"),
        c("Ready", "Unknown", "InvalidSpec", "the cluster cannot be compared with an invalid spec"),
      ],
    };
  }
  const plan = o.plan!;
  const planned =
    plan.errors.length > 0
      ? c("Planned", "False", "PlanErrors", plan.errors.join("; "))
      : plan.changes > 0
        ? c("Planned", "True", "ChangesPlanned", `plan ${plan.digest} has ${plan.changes} change(s)`)
        : c("Planned", "True", "NoChanges", "the nodes run what the talconfig says");
  if (o.paused)
    return {
      action: "none",
      phase: "Paused",
      conditions: [planned, c("Progressing", "False", "Paused", "spec.rollout.paused is set: nothing is changed")],
    };
  if (plan.errors.length > 0 && !o.resumable)
    return {
      action: "none",
      phase: "Degraded",
      conditions: [
        planned,
        c("Degraded", "True", "PlanErrors", plan.errors.join("; ")),
        c("Progressing", "False", "PlanErrors", "the plan has errors and is not applied"),
        c("Ready", "False", "PlanErrors", "the cluster could not be planned"),
      ],
    };
  // Changes are planned but held: the plan is published, nothing is touched.
  const hold = (phase: Phase, reason: string, message: string, ready: string): Decision => ({
    action: "none",
    phase,
    conditions: [planned, c("Progressing", "False", reason, message), c("Ready", "False", "ChangesPending", ready)],
  });
  if (!o.window.open && (o.resumable || plan.changes > 0)) {
    const when = o.window.opensAt ? `; the next window opens at ${o.window.opensAt.toISOString()}` : "";
    return hold(
      "WaitingForWindow",
      "OutsideMaintenanceWindow",
      `changes wait for a maintenance window${when}`,
      "planned changes wait for a maintenance window",
    );
  }
  if (o.resumable)
    return {
      action: "resume",
      phase: "Progressing",
      conditions: [c("Progressing", "True", "Resuming", "continuing the unfinished rollout from its journal")],
    };
  if (plan.changes === 0)
    return {
      action: "none",
      phase: "Ready",
      conditions: [
        planned,
        c("Progressing", "False", "UpToDate", "nothing to roll out"),
        c("Ready", "True", "UpToDate", "every node runs its desired config and version"),
        c("Degraded", "False", "UpToDate", "no findings"),
      ],
    };
  if (plan.removes.length > 0 && !o.allowRemove)
    return hold(
      "AwaitingApproval",
      "RemovalNotAllowed",
      `the plan removes ${plan.removes.join(", ")} from the cluster; set spec.rollout.allowRemove: true to apply it, or put the node(s) back`,
      "planned changes are not applied",
    );
  if (o.approval === "manual" && o.approved !== plan.digest)
    return hold(
      "AwaitingApproval",
      "AwaitingApproval",
      `review status.lastPlan, then approve: kubectl annotate taloscluster ${o.clusterName} --overwrite talform.dev/approve-plan=${plan.digest}` +
        (o.approved ? ` (the annotation approves ${o.approved}, another plan)` : ""),
      "planned changes wait for approval",
    );
  return {
    action: "apply",
    phase: "Progressing",
    conditions: [planned, c("Progressing", "True", "RollingOut", `applying plan ${plan.digest}`)],
  };
}

/** Merges updates into the current conditions; a condition's lastTransitionTime changes only when its status does. */
export function mergeConditions(
  current: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  now: Date,
  generation: number | undefined,
): Condition[] {
  const out = new Map((current ?? []).map((x) => [x.type, x]));
  for (const u of updates) {
    const prev = out.get(u.type);
    out.set(u.type, {
      ...u,
      lastTransitionTime: prev && prev.status === u.status ? prev.lastTransitionTime : now.toISOString(),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    });
  }
  const order: ConditionType[] = ["Planned", "Progressing", "Ready", "Degraded"];
  return order.flatMap((t) => (out.has(t) ? [out.get(t)!] : []));
}

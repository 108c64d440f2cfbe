import type { NodePlan, PlanAction } from "../plan/index.js";

/**
 * A rollout is a list of small steps per node, each journaled. Checks are steps too, so a resumed run knows exactly
 * where it stopped; every step is written so that running it again after a crash is safe.
 */
export type StepKind = "pre-check" | "pre-pull" | "drain" | "action" | "verify" | "uncordon" | "post-check" | "gate";

export interface Step {
  readonly id: string;
  readonly node: NodePlan;
  readonly kind: StepKind;
  readonly action?: PlanAction;
  readonly label: string;
}

export function stepsFor(node: NodePlan, opts: { gate: boolean }): Step[] {
  if (node.actions.length === 0) return [];
  const h = node.hostname;
  const steps: Step[] = [];
  const removal = node.actions.find((a) => a.type === "remove");
  if (removal) {
    // A node leaving the cluster: no verify/uncordon afterwards (docs/rollout.md, "Removing nodes").
    if (node.controlPlane)
      steps.push({
        id: `${h}/pre-check`,
        node,
        kind: "pre-check",
        label: "the remaining etcd members are a healthy quorum",
      });
    if (removal.kubernetesNode) steps.push({ id: `${h}/drain`, node, kind: "drain", label: "cordon and drain" });
    steps.push({
      id: `${h}/1-remove`,
      node,
      kind: "action",
      action: removal,
      label: "remove (etcd leave, reset, delete Node)",
    });
    return steps;
  }
  const installs = node.actions.some((a) => a.type === "install");
  const drained = node.reboots && !installs;
  if (node.controlPlane)
    steps.push({ id: `${h}/pre-check`, node, kind: "pre-check", label: "etcd quorum and cluster health before" });
  // Nothing is drained for an upgrade that cannot start: the installer image must be available first.
  if (node.actions.some((a) => a.type === "upgrade"))
    steps.push({ id: `${h}/pre-pull`, node, kind: "pre-pull", label: "pull the installer image before draining" });
  if (drained) steps.push({ id: `${h}/drain`, node, kind: "drain", label: "cordon and drain" });
  node.actions.forEach((a, i) =>
    steps.push({ id: `${h}/${i + 1}-${a.type}`, node, kind: "action", action: a, label: actionLabel(a) }),
  );
  steps.push({ id: `${h}/verify`, node, kind: "verify", label: "verify version, extensions, config, services, Ready" });
  if (drained) steps.push({ id: `${h}/uncordon`, node, kind: "uncordon", label: "uncordon" });
  if (node.controlPlane)
    steps.push({ id: `${h}/post-check`, node, kind: "post-check", label: "etcd quorum and cluster health after" });
  if (opts.gate) steps.push({ id: `${h}/gate`, node, kind: "gate", label: "gate" });
  return steps;
}

function actionLabel(a: PlanAction): string {
  switch (a.type) {
    case "upgrade":
      return `upgrade ${a.from} → ${a.to}`;
    case "upgrade-k8s":
      return `upgrade-k8s ${a.from} → ${a.to}`;
    case "apply-config":
      return `apply-config (${a.mode})`;
    default:
      return a.type;
  }
}

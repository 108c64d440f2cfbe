import type { DiffEntry, Plan, PlanAction } from "./types.js";

/** The human view of a plan: one table row per node, then each changing node's actions and redacted diff. */
export function formatPlan(plan: Plan): string {
  // A node that could not be observed (or whose plan has an error) is unknown, never "no changes".
  const failed = new Set(plan.errors.flatMap((e) => (e.node ? [e.node] : [])));
  const unknown = (n: Plan["nodes"][number]) =>
    !n.observed.reachable || (failed.has(n.hostname) && n.actions.length === 0);
  const rows = plan.nodes.map((n) => [
    n.hostname,
    n.controlPlane ? "controlplane" : "worker",
    n.observed.maintenance
      ? "maintenance"
      : n.observed.reachable
        ? (n.observed.talosVersion ?? "unknown")
        : "unreachable",
    unknown(n)
      ? "unknown (not observed)"
      : n.actions.length === 0
        ? "no changes"
        : n.actions.map(actionLabel).join(", "),
  ]);
  const headers = ["NODE", "ROLE", "RUNS", "ACTIONS"];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("   ");
  const out = [line(headers), ...rows.map(line), ""];
  for (const r of plan.prepare)
    out.push(`register-schematic ${r.schematicId.slice(0, 12)}… at ${r.factory}: ${r.reason}`);
  if (plan.offline && plan.offline.skipped.length > 0) {
    const ids = plan.offline.skipped.map((id) => `${id.slice(0, 12)}…`).join(", ");
    out.push(
      `offline: not registering ${plan.offline.skipped.length} schematic(s) with the image factory (${ids}); the nodes must find their installer images in your registry`,
    );
  }
  for (const n of plan.nodes) {
    if (n.drift)
      out.push(
        `! ${n.hostname}: drift — the running config (${short(n.drift.observedDigest)}) is not what talform last applied (${short(n.drift.lastAppliedDigest)}); someone changed it outside talform`,
      );
    if (n.actions.length === 0) continue;
    const installs = n.actions.some((a) => a.type === "install");
    const removes = n.actions.some((a) => a.type === "remove");
    out.push(
      `${n.hostname}${removes ? " (leaves the cluster: not in the talconfig any more)" : installs ? " (installs from maintenance mode)" : n.reboots ? " (will be drained and rebooted)" : ""}:`,
    );
    n.actions.forEach((a, i) => out.push(`  ${i + 1}. ${actionLabel(a)}: ${a.reason}`));
    for (const d of n.diff.slice(0, 50)) out.push(`     ${diffLine(d)}`);
    if (n.diff.length > 50) out.push(`     … and ${n.diff.length - 50} more changes`);
  }
  for (const w of plan.warnings ?? [])
    out.push(`warning: ${w.node ? `${w.node}: ` : ""}${w.message}${w.hint ? `\n  hint: ${w.hint}` : ""}`);
  const k = plan.kubernetes;
  if (k) {
    out.push(`cluster: upgrade-k8s ${k.from} → ${k.to}: ${k.reason}`);
    k.steps.forEach((s, i) => out.push(`  ${i + 1}. ${s.label}`));
    for (const c of k.skippedChecks ?? []) out.push(`! pre-upgrade check overridden by --skip-checks: ${c}`);
  }
  for (const e of plan.errors)
    out.push(`error: ${e.node ? `${e.node}: ` : ""}${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`);
  const unknownCount = plan.nodes.filter(unknown).length;
  const counted = `Plan: ${plan.summary.changes} action(s) on ${plan.summary.nodesChanged} node(s)`;
  if (unknownCount > 0) {
    out.push(
      `Plan incomplete: ${unknownCount} of ${plan.nodes.length} node(s) could not be observed or planned; ${counted.slice(6)} on the others. Nothing can be applied until every node is.`,
    );
  } else if (plan.errors.length > 0)
    out.push(`${counted}, and ${plan.errors.length} error(s): apply refuses this plan.`);
  else
    out.push(
      plan.summary.changes === 0
        ? "No changes. The cluster matches the configuration."
        : `${counted}${k ? ` (upgrade-k8s: ${k.steps.length} step(s))` : ""}.`,
    );
  return out.join("\n") + "\n";
}

export function actionLabel(a: PlanAction): string {
  switch (a.type) {
    case "upgrade":
      return `upgrade ${a.from} → ${a.to}`;
    case "upgrade-k8s":
      return `upgrade-k8s ${a.from} → ${a.to}`;
    case "apply-config":
      return a.mode === "reboot" ? "apply-config (reboot)" : "apply-config";
    default:
      return a.type;
  }
}

function diffLine(d: DiffEntry): string {
  const where = d.path ? `${d.document} ${d.path}` : `${d.document} (document)`;
  const v = (x: unknown) => (typeof x === "string" ? x : JSON.stringify(x));
  if (d.op === "add") return d.after === undefined ? `+ ${where}` : `+ ${where}: ${v(d.after)}`;
  if (d.op === "remove") return `- ${where}: ${v(d.before)}`;
  return `~ ${where}: ${v(d.before)} → ${v(d.after)}`;
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

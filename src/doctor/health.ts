import { serviceFailing } from "./checks/index.js";
import type { ClusterObservation, NodeObservation } from "./types.js";

/** One line of `talform health`. */
export interface HealthCheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** The check could not be run on some node (it is unreachable) and found nothing wrong elsewhere: not OK either. */
  readonly unknown?: boolean;
  /** `OK`, or what is wrong (per node). */
  readonly detail: string;
}

const summary = (problems: readonly string[]): { ok: boolean; detail: string } =>
  problems.length === 0 ? { ok: true, detail: "OK" } : { ok: false, detail: problems.join("; ") };

/** A per-node check: unreachable nodes make it UNKNOWN (never OK) unless a reachable node already fails it. */
const perNode = (
  problems: readonly string[],
  unreachable: readonly NodeObservation[],
): { ok: boolean; unknown?: boolean; detail: string } => {
  const notRun = unreachable.map((n) => `${n.node}: not checked (unreachable)`);
  if (problems.length > 0) return { ok: false, detail: [...problems, ...notRun].join("; ") };
  return notRun.length > 0 ? { ok: false, unknown: true, detail: notRun.join("; ") } : { ok: true, detail: "OK" };
};

const hostOf = (url: string): string => {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return url;
  }
};

/**
 * The client-side checks, as pure functions of what the collector saw (talosctl's `--server=false` checks, reduced
 * to the ones the seed's guide relies on). `controlPlanes` are node addresses.
 */
export function clientHealthChecks(obs: ClusterObservation, controlPlanes: readonly string[]): HealthCheckResult[] {
  const reachable = obs.nodes.filter((n) => !n.unreachable);
  const down = obs.nodes.filter((n) => n.unreachable);
  const cps: NodeObservation[] = obs.nodes.filter((n) => controlPlanes.includes(n.node));
  const results: HealthCheckResult[] = [];
  results.push({
    name: "apid reachable on every node",
    ...summary(obs.nodes.filter((n) => n.unreachable).map((n) => `${n.node}: ${n.unreachable}`)),
  });
  results.push({
    name: "services up",
    ...perNode(
      reachable.flatMap((n) =>
        n.services === undefined
          ? [`${n.node}: services unknown`]
          : n.services
              .filter(serviceFailing)
              .map(
                (s) =>
                  `${n.node}: ${s.id} ${s.state}${s.healthUnknown ? "" : s.healthy ? "" : " (unhealthy)"}${s.restarts >= 2 ? `, ${s.restarts} restarts` : ""}`,
              ),
      ),
      down,
    ),
  });
  const etcd = obs.etcd;
  const memberProblems: string[] = [];
  if (cps.length === 0) memberProblems.push("no control-plane node known");
  else if (!etcd || etcd.error || !etcd.members) memberProblems.push(`EtcdMemberList: ${etcd?.error ?? "not asked"}`);
  else {
    const matches = (cp: NodeObservation) =>
      etcd.members!.some(
        (m) =>
          m.peerUrls.some((u) => hostOf(u) === cp.node) || (cp.hostname !== undefined && m.hostname === cp.hostname),
      );
    for (const cp of cps)
      if (!matches(cp))
        memberProblems.push(`${cp.node}${cp.hostname ? ` (${cp.hostname})` : ""} is not an etcd member`);
    for (const m of etcd.members) {
      if (!m.peerUrls.some((u) => controlPlanes.includes(hostOf(u))) && !cps.some((cp) => m.hostname === cp.hostname))
        memberProblems.push(`etcd member ${m.hostname} is not a control-plane node`);
    }
  }
  results.push({ name: "etcd members == control planes", ...summary(memberProblems) });
  results.push({
    name: "etcd healthy",
    ...summary(
      cps.length === 0
        ? ["no control-plane node known"]
        : cps.flatMap((cp) =>
            cp.unreachable
              ? [`${cp.node}: unreachable`]
              : etcd?.status?.[cp.node] !== undefined
                ? [`${cp.node}: ${etcd.status[cp.node]}`]
                : etcd?.status && cp.node in etcd.status
                  ? []
                  : [`${cp.node}: EtcdStatus not asked`],
          ),
    ),
  });
  results.push({
    name: "boot finished",
    ...perNode(
      reachable
        .filter((n) => n.stage !== "running" || !n.ready)
        .map((n) => `${n.node}: stage ${n.stage ?? "unknown"}${n.ready === false ? ", not ready" : ""}`),
      down,
    ),
  });
  results.push({
    name: "time synced",
    ...perNode(
      reachable
        .filter((n) => n.timeSynced !== true)
        .map((n) => `${n.node}: ${n.timeSynced === false ? "not synced" : "TimeStatus unknown"}`),
      down,
    ),
  });
  const kube = obs.kubernetes;
  const kubeProblems: string[] = [];
  if (!kube) kubeProblems.push("Kubernetes API not asked (no reachable control plane)");
  else if ("error" in kube) kubeProblems.push(kube.error);
  else {
    for (const n of obs.nodes) {
      const k = kube.nodes.find((x) => x.name === n.hostname || x.internalIPs.includes(n.node));
      if (!k) kubeProblems.push(`${n.hostname ?? n.node}: not registered in Kubernetes`);
      else if (!k.ready) kubeProblems.push(`${k.name}: not Ready`);
    }
  }
  results.push({ name: "Kubernetes nodes Ready", ...summary(kubeProblems) });
  return results;
}

/** Text lines, one per check: `OK    etcd healthy` / `FAIL  time synced: 10.0.0.12: not synced` / `UNKNOWN …`. */
export function formatHealth(results: readonly HealthCheckResult[]): string {
  return (
    results
      .map((r) =>
        r.ok ? `OK    ${r.name}` : r.unknown ? `UNKNOWN  ${r.name}: ${r.detail}` : `FAIL  ${r.name}: ${r.detail}`,
      )
      .join("\n") + "\n"
  );
}

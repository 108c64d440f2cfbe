import type { Finding, ServiceView } from "../types.js";
import { expectedFor, nodeLabel, reachable, type CheckContext } from "./context.js";

/** Services whose logs doctor attaches (the ones the seed's guide reads first). */
export const LOGGED_SERVICES = ["kubelet", "etcd", "containerd"] as const;
export const LOG_LINES = 20;

/** Failed, unhealthy or restarting (≥ 2 restarts in its event history). Finished one-shot services are fine. */
export function serviceFailing(s: ServiceView): boolean {
  if (s.state === "Finished" || s.state === "Skipped") return false;
  return s.state !== "Running" || (!s.healthUnknown && !s.healthy) || s.restarts >= 2;
}

export function failingServices(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const etcdBootstrapped = ctx.observation.nodes.some((n) =>
    n.services?.some((s) => s.id === "etcd" && s.state === "Running"),
  );
  for (const n of reachable(ctx)) {
    const e = expectedFor(ctx, n);
    for (const s of n.services ?? []) {
      if (!serviceFailing(s)) continue;
      const logs = n.logs?.[s.id] ?? [];
      // etcd waiting on a cluster that was never bootstrapped is a step not taken, not a crash.
      if (s.id === "etcd" && s.state === "Preparing" && !etcdBootstrapped) {
        out.push({
          code: "etcd-not-bootstrapped",
          severity: "error",
          node: n.node,
          symptom: `${nodeLabel(n, e)}: etcd waits to be bootstrapped`,
          evidence: [`ServiceList on ${n.node}: etcd ${s.state}: ${s.message}`],
          fix: `talform bootstrap -n ${n.node}`,
        });
        continue;
      }
      out.push({
        code: "service-failing",
        severity: "error",
        node: n.node,
        symptom: `${nodeLabel(n, e)}: service ${s.id} is ${s.restarts >= 2 ? `restarting (${s.restarts} restarts)` : s.state === "Running" ? "unhealthy" : s.state.toLowerCase()}`,
        evidence: [
          `ServiceList on ${n.node}: ${s.id} state ${s.state}, health ${s.healthUnknown ? "?" : s.healthy ? "OK" : "Fail"}: ${s.message}`,
          ...(logs.length > 0
            ? [`last ${logs.length} lines of \`talform logs ${s.id} -n ${n.node}\`:`, ...logs.map((l) => `  ${l}`)]
            : []),
        ],
        fix: `read \`talform logs ${s.id} -n ${n.node}\` for the cause (usually the machine config: \`talform doctor\` config findings), fix it, then talform reboot -n ${n.node}`,
      });
    }
  }
  return out;
}

/**
 * The Kubernetes side of the seed's guide (`logs -k`, `logs kubelet`): the API does not answer although etcd runs,
 * or a node is registered but not Ready.
 */
export function kubernetesApi(ctx: CheckContext): Finding[] {
  const kube = ctx.observation.kubernetes;
  if (!kube) return [];
  const cp = reachable(ctx).find((n) => n.machineType === "controlplane" || n.machineType === "init");
  if ("error" in kube) {
    if (!ctx.observation.etcd?.members) return [];
    return [
      {
        code: "kubernetes-api",
        severity: "error",
        ...(cp ? { node: cp.node } : {}),
        symptom: "the Kubernetes API does not answer although etcd runs",
        evidence: [`GET /api/v1/nodes: ${kube.error}`],
        fix: cp
          ? `read \`talform logs -k kube-system/kube-apiserver-${cp.hostname ?? cp.node} -n ${cp.node}\` for the cause`
          : "read the kube-apiserver log with talform logs -k",
      },
    ];
  }
  const out: Finding[] = [];
  for (const n of reachable(ctx)) {
    const k = kube.nodes.find((x) => x.name === n.hostname || x.internalIPs.includes(n.node));
    if (!k || k.ready) continue;
    out.push({
      code: "kubernetes-node-not-ready",
      severity: "error",
      node: n.node,
      symptom: `${nodeLabel(n, expectedFor(ctx, n))}: Kubernetes node ${k.name} is not Ready`,
      evidence: [`Node ${k.name}: condition Ready is not True`],
      fix: `read \`talform logs kubelet -n ${n.node}\` for the cause`,
    });
  }
  return out;
}

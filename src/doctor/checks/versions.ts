import type { Finding } from "../types.js";
import { upgradeFix } from "./extensions.js";
import { expectedFor, nodeLabel, reachable, type CheckContext } from "./context.js";

const groupBy = <T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, T[]> => {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    if (k !== undefined) m.set(k, [...(m.get(k) ?? []), i]);
  }
  return m;
};

/** Talos versions differ across nodes, or from talconfig; Kubernetes (kubelet) versions differ across nodes. */
export function versionSkew(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const nodes = reachable(ctx);
  for (const n of nodes) {
    const e = expectedFor(ctx, n);
    if (e && n.talosVersion && n.talosVersion !== e.talosVersion) {
      out.push({
        code: "talos-version",
        severity: "warning",
        node: n.node,
        symptom: `${nodeLabel(n, e)}: runs Talos ${n.talosVersion}, talconfig says ${e.talosVersion}`,
        evidence: [
          `Version on ${n.node}: ${n.talosVersion}`,
          `talconfig talosVersion for ${e.hostname}: ${e.talosVersion}`,
        ],
        fix: upgradeFix(ctx, n),
      });
    }
  }
  const byTalos = groupBy(nodes, (n) => n.talosVersion);
  if (byTalos.size > 1 && ctx.expected.length === 0) {
    out.push({
      code: "talos-version-skew",
      severity: "warning",
      symptom: `nodes run different Talos versions: ${[...byTalos.keys()].join(", ")}`,
      evidence: [...byTalos].map(([v, ns]) => `Version ${v}: ${ns.map((n) => n.node).join(", ")}`),
      fix: `upgrade the older nodes one at a time: talform upgrade -n <node> --image "$(talform genurl installer -n <node>)"`,
    });
  }
  const kube = ctx.observation.kubernetes;
  if (kube && "nodes" in kube) {
    const byKube = groupBy(kube.nodes, (k) => k.kubeletVersion || undefined);
    if (byKube.size > 1) {
      out.push({
        code: "kubernetes-version-skew",
        severity: "warning",
        symptom: `Kubernetes nodes run different kubelet versions: ${[...byKube.keys()].join(", ")}`,
        evidence: [...byKube].map(([v, ks]) => `kubelet ${v}: ${ks.map((k) => k.name).join(", ")}`),
        fix: `set kubernetesVersion in talconfig.yaml, then talform genconfig && talform apply-config on each lagging node (talform has no upgrade-k8s yet; talosctl upgrade-k8s --to <version> also works)`,
      });
    }
  }
  return out;
}

import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { machineConfigFacts } from "../config-facts.js";
import type { Finding } from "../types.js";
import { cFlag, expectedFor, nodeLabel, reachable, type CheckContext } from "./context.js";

/** Documents as data, in order; comments and formatting do not count as drift. */
function documents(text: string): unknown[] {
  const docs = parseAllDocuments(text);
  return (Array.isArray(docs) ? docs : [docs])
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null && d !== undefined);
}

/** Top-level paths whose values differ (`.machine.network`, `KernelModuleConfig nvidia`), for the evidence line. */
export function configDifferences(
  a: string,
  b: string,
  names: readonly [string, string] = ["the rendered config", "the node's config"],
): string[] {
  const da = documents(a);
  const db = documents(b);
  const key = (d: unknown) => {
    const m = d as Record<string, unknown>;
    return m["kind"] === undefined ? "v1alpha1" : `${String(m["kind"])}${m["name"] ? ` ${String(m["name"])}` : ""}`;
  };
  const ma = new Map(da.map((d) => [key(d), d]));
  const mb = new Map(db.map((d) => [key(d), d]));
  const out: string[] = [];
  for (const k of new Set([...ma.keys(), ...mb.keys()])) {
    const x = ma.get(k) as Record<string, unknown> | undefined;
    const y = mb.get(k) as Record<string, unknown> | undefined;
    if (isDeepStrictEqual(x, y)) continue;
    if (k !== "v1alpha1" || !x || !y) {
      out.push(x ? (y ? k : `${k} (only in ${names[0]})`) : `${k} (only in ${names[1]})`);
      continue;
    }
    for (const section of ["machine", "cluster"]) {
      const sx = (x[section] ?? {}) as Record<string, unknown>;
      const sy = (y[section] ?? {}) as Record<string, unknown>;
      for (const f of new Set([...Object.keys(sx), ...Object.keys(sy)]))
        if (!isDeepStrictEqual(sx[f], sy[f])) out.push(`.${section}.${f}`);
    }
    for (const f of new Set([...Object.keys(x), ...Object.keys(y)]))
      if (f !== "machine" && f !== "cluster" && !isDeepStrictEqual(x[f], y[f])) out.push(`.${f}`);
  }
  return out;
}

/**
 * Config not applied: the node's active config differs from what talconfig renders (drift), or a staged config waits
 * for a reboot (MachineConfig `persistent` ≠ `v1alpha1`).
 */
export function configNotApplied(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const n of reachable(ctx)) {
    const e = expectedFor(ctx, n);
    const label = nodeLabel(n, e);
    if (n.activeConfig && n.persistentConfig) {
      const staged = configDifferences(n.activeConfig, n.persistentConfig, ["the running config", "the staged config"]);
      if (staged.length > 0) {
        out.push({
          code: "config-staged",
          severity: "warning",
          node: n.node,
          symptom: `${label}: a staged config waits for a reboot; the node still runs the previous one`,
          evidence: [`MachineConfig persistent ≠ v1alpha1 on ${n.node}: ${staged.join(", ")}`],
          fix: `talform reboot -n ${n.node}`,
        });
      }
    }
    const rendered = e ? ctx.local.renderedConfigs?.get(e.hostname) : undefined;
    if (!rendered || !n.activeConfig) continue;
    const target = n.persistentConfig ?? n.activeConfig;
    const diff = configDifferences(rendered.text, target);
    if (diff.length > 0) {
      out.push({
        code: "config-drift",
        severity: "error",
        node: n.node,
        symptom: `${label}: the node's config differs from what talconfig renders (changes not applied)`,
        evidence: [`MachineConfig on ${n.node} vs ${rendered.file}: ${diff.join(", ")}`],
        // Applying a stale file would apply the old render: regenerate first.
        fix: `${ctx.local.staleFiles?.some((s) => s.file === rendered.file) ? `talform genconfig${cFlag(ctx)} && ` : ""}talform apply-config -n ${n.node} --file ${rendered.file}${ctx.local.talconfigPath ? ` (or the whole cluster, drained and etcd-safe: talform apply${cFlag(ctx)})` : ""}`,
      });
    }
  }
  return out;
}

/** clusterconfig files older than talconfig.yaml (or its env files / patches): genconfig was not rerun. */
export function staleClusterconfig(ctx: CheckContext): Finding[] {
  return (ctx.local.staleFiles ?? []).map((s) => ({
    code: "clusterconfig-stale",
    severity: "warning",
    symptom: `${s.file} is older than ${s.newerInput}: the rendered config does not include the latest talconfig changes`,
    evidence: [`mtime(${s.file}) < mtime(${s.newerInput})`],
    fix: `talform genconfig${cFlag(ctx)}`,
  }));
}

/** Labels/taints Talos owns or the user would expect to be declarative (not the kubelet's or Kubernetes' own). */
const SYSTEM_LABEL =
  /^(kubernetes\.io\/|beta\.kubernetes\.io\/|node\.kubernetes\.io\/|node-role\.kubernetes\.io\/|topology\.kubernetes\.io\/|feature\.node\.kubernetes\.io\/|nvidia\.com\/|extensions\.talos\.dev\/)/;
const SYSTEM_TAINT = /^(node\.kubernetes\.io\/|node-role\.kubernetes\.io\/|node\.cloudprovider\.kubernetes\.io\/)/;

/**
 * Kubernetes node labels/taints that differ from the machine config: values Talos will put back (edited with
 * kubectl, the change vanishes) and extra ones talconfig does not know about (lost when the node is rebuilt).
 */
export function kubernetesNodeDrift(ctx: CheckContext): Finding[] {
  const kube = ctx.observation.kubernetes;
  if (!kube || !("nodes" in kube)) return [];
  const out: Finding[] = [];
  for (const n of reachable(ctx)) {
    if (!n.activeConfig) continue;
    const e = expectedFor(ctx, n);
    const name = n.hostname ?? e?.hostname;
    const k = kube.nodes.find((x) => x.name === name || x.internalIPs.includes(n.node));
    if (!k) continue;
    const facts = machineConfigFacts(n.activeConfig);
    const diffs: string[] = [];
    for (const [key, value] of Object.entries(facts.nodeLabels)) {
      if (k.labels[key] !== value)
        diffs.push(
          `label ${key}: machine config "${value}", Kubernetes ${key in k.labels ? `"${k.labels[key]}"` : "(absent)"}`,
        );
    }
    for (const [key, value] of Object.entries(k.labels)) {
      if (!(key in facts.nodeLabels) && !SYSTEM_LABEL.test(key))
        diffs.push(`label ${key}="${value}" set in Kubernetes only`);
    }
    const wantTaints = Object.entries(facts.nodeTaints).map(([key, v]) =>
      (v.startsWith(":") ? `${key}${v}` : `${key}=${v}`).replace(/=:/, ":"),
    );
    for (const t of wantTaints)
      if (!k.taints.includes(t)) diffs.push(`taint ${t} in the machine config, not on the Kubernetes node`);
    for (const t of k.taints)
      if (!wantTaints.includes(t) && !SYSTEM_TAINT.test(t)) diffs.push(`taint ${t} set in Kubernetes only`);
    if (diffs.length === 0) continue;
    out.push({
      code: "kubernetes-node-drift",
      severity: "warning",
      node: n.node,
      symptom: `${nodeLabel(n, e)}: Kubernetes node labels/taints differ from the machine config (kubectl edits are reverted or lost)`,
      evidence: diffs.map((d) => `Node ${k.name}: ${d}`),
      fix: `put the labels/taints you want in talconfig.yaml (nodeLabels / nodeTaints of ${name ?? n.node}), then talform genconfig${cFlag(ctx)} && talform apply-config -n ${n.node} --file ${e?.configFile ?? "<the node's config>"}`,
    });
  }
  return out;
}

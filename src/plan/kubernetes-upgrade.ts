import {
  compareKubernetesVersions,
  kubernetesUpgradePath,
  removedInStep,
  TalosContract,
  type RemovedInStep,
} from "../contract/index.js";
import { parseAllDocuments } from "yaml";
import { kubeletVersionOf, kubernetesImagesOf, parseConfigDocuments, withImageTag } from "./config-documents.js";
import type {
  DesiredCluster,
  KubernetesUpgradePlan,
  KubernetesUpgradeStep,
  ObservedCluster,
  PlanProblem,
} from "./types.js";

/**
 * The cluster-level `upgrade-k8s` action, ordered as `talosctl upgrade-k8s` does it (siderolabs/talos
 * `pkg/cluster/kubernetes/talos_managed.go`): per hop (+0/+1 minor), pre-pull on every node; kube-apiserver on each
 * control plane, then kube-controller-manager on each, then kube-scheduler; kube-proxy; the kubelet node by node,
 * control planes first; then the bootstrap manifests. Pure: the checks read what observation collected.
 */
export const STATIC_POD_COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;

export interface KubernetesPlanResult {
  readonly plan?: KubernetesUpgradePlan;
  readonly errors: PlanProblem[];
}

export function planKubernetesUpgrade(
  desired: DesiredCluster,
  observed: ObservedCluster,
  opts: { skipChecks?: boolean } = {},
): KubernetesPlanResult {
  const errors: PlanProblem[] = [];
  const cps = desired.nodes.filter((n) => n.controlPlane);
  const workers = desired.nodes.filter((n) => !n.controlPlane);
  const target = desired.nodes[0]?.kubernetesVersion;
  if (!target) return { errors };
  const mixedTargets = [...new Set(desired.nodes.map((n) => n.kubernetesVersion))];
  if (mixedTargets.length > 1) {
    errors.push({
      code: "k8s-version",
      message: `the nodes want different Kubernetes versions (${mixedTargets.join(", ")})`,
      hint: "set one kubernetesVersion for the cluster in talconfig.yaml",
    });
    return { errors };
  }
  // Every node's Talos must support the Kubernetes version the config asks for, changed or not.
  const unsupported = supportProblems(desired, observed, [target], undefined);
  if (unsupported.length > 0) return { errors: [...errors, ...unsupported] };
  // What runs now: the kubelet versions the running configs pin (control planes first: they lead).
  const running = desired.nodes.map((d) => {
    const o = observed.nodes.find((x) => x.hostname === d.hostname);
    const fromConfig = o?.configText ? safeKubelet(o.configText) : undefined;
    return { d, version: fromConfig ?? o?.kubernetesVersion };
  });
  const known = running.filter((r) => r.version !== undefined);
  if (known.length === 0 || running.some((r) => r.version === undefined && r.d.controlPlane)) return { errors };
  const versions = [...new Set(known.map((r) => r.version!))].sort(compareKubernetesVersions);
  if (versions.length === 1 && versions[0] === target) return { errors };
  // A partly done upgrade continues from the oldest version any node runs.
  const from = versions[0]!;
  const path = kubernetesUpgradePath(from, target);
  if ("error" in path) {
    errors.push({ code: "k8s-upgrade-path", message: path.error, hint: `keep kubernetesVersion at ${from} or newer` });
    return { errors };
  }
  const hops = path.hops.length > 0 ? path.hops : [target];

  // Every node's Talos (Talos upgrades in the same plan go first) must run every hop, and the version it runs now.
  errors.push(...supportProblems(desired, observed, [from, ...hops], from));
  if (errors.length > 0) return { errors };

  const findings: PlanProblem[] = [];
  let prev = from;
  for (const hop of hops) {
    findings.push(...preUpgradeChecks(prev, hop, desired, observed));
    prev = hop;
  }
  const skippedChecks = opts.skipChecks ? findings.map((f) => f.message) : [];
  if (!opts.skipChecks) errors.push(...findings);

  const steps: KubernetesUpgradeStep[] = [];
  for (const hop of hops) {
    const p = `k8s/v${hop}`;
    steps.push({
      id: `${p}/pre-pull`,
      kind: "pre-pull",
      version: hop,
      label: `pre-pull Kubernetes v${hop} images on every node`,
    });
    for (const c of STATIC_POD_COMPONENTS) {
      for (const n of cps)
        steps.push({
          id: `${p}/${c}/${n.hostname}`,
          kind: "static-pod",
          component: c,
          node: n.hostname,
          version: hop,
          label: `${c} v${hop} on ${n.hostname}`,
        });
    }
    for (const n of cps)
      steps.push({
        id: `${p}/kube-proxy/${n.hostname}`,
        kind: "kube-proxy",
        component: "kube-proxy",
        node: n.hostname,
        version: hop,
        label: `kube-proxy v${hop} in ${n.hostname}'s config`,
      });
    for (const n of [...cps, ...workers])
      steps.push({
        id: `${p}/kubelet/${n.hostname}`,
        kind: "kubelet",
        component: "kubelet",
        node: n.hostname,
        version: hop,
        label: `kubelet v${hop} on ${n.hostname}`,
      });
    const ssa = TalosContract.parse(cps[0]?.talosVersion ?? "")?.ssaManifestSync() ?? false;
    steps.push({
      id: `${p}/manifests`,
      kind: "manifests",
      version: hop,
      sync: ssa ? "server-side-apply" : "legacy",
      label: `bootstrap manifests (${ssa ? "server-side apply with inventory and pruning" : "legacy sync"})`,
    });
  }
  const plan: KubernetesUpgradePlan = {
    type: "upgrade-k8s",
    reason: `Kubernetes ${from} → ${target}${hops.length > 1 ? ` through ${hops.slice(0, -1).join(", ")} (one minor at a time)` : ""}`,
    from,
    to: target,
    hops,
    steps,
    ...(skippedChecks.length > 0 ? { skippedChecks } : {}),
  };
  return { plan, errors };
}

function supportProblems(
  desired: DesiredCluster,
  observed: ObservedCluster,
  versions: readonly string[],
  from: string | undefined,
): PlanProblem[] {
  const out: PlanProblem[] = [];
  for (const d of desired.nodes) {
    const range = TalosContract.parse(d.talosVersion)?.facts?.kubernetes;
    if (!range) continue;
    const bad = versions.find((v) => !inRange(v, range.min, range.max));
    if (!bad) continue;
    const o = observed.nodes.find((x) => x.hostname === d.hostname);
    const order =
      bad === from && o?.talosVersion !== d.talosVersion
        ? `; the Talos upgrade of ${d.hostname} goes first and Talos ${d.talosVersion} cannot run Kubernetes ${from}: upgrade Kubernetes first (keep talosVersion), then Talos`
        : "";
    out.push({
      node: d.hostname,
      code: "k8s-talos-support",
      message: `${d.hostname}: Talos ${d.talosVersion} does not support Kubernetes ${bad} (supported: ${range.min}–${range.max})${order}`,
      hint: `pick a kubernetesVersion between ${range.min} and ${range.max}, or upgrade Talos first`,
    });
  }
  return out;
}

/**
 * What the target minor removes and the cluster still uses: objects served from removed API versions (listed by
 * observe) and removed flags, feature gates and admission plugins in the rendered configs' extraArgs.
 */
export function preUpgradeChecks(
  from: string,
  to: string,
  desired: DesiredCluster,
  observed: ObservedCluster,
): PlanProblem[] {
  const removed = removedInStep(from, to);
  const step = `${from} → ${to}`;
  const out: PlanProblem[] = [];
  for (const resource of removed.apiResources ?? []) {
    for (const obj of observed.kubernetesObjects?.[resource] ?? []) {
      out.push({
        code: "k8s-removed-api",
        message: `${resource} ${obj}: served from an API version Kubernetes ${to} removes (${step})`,
        hint: `migrate ${obj} to a served API version (or delete it) before upgrading; --skip-checks overrides`,
      });
    }
  }
  for (const d of desired.nodes) {
    let docs;
    try {
      docs = parseConfigDocuments(d.configText);
    } catch {
      continue;
    }
    const v1 = docs.get("v1alpha1") ?? {};
    const sections: [string, Record<string, unknown> | undefined, keyof RemovedInStep][] = [
      ["machine.kubelet.extraArgs", at(v1, "machine", "kubelet", "extraArgs"), "kubeletFlags"],
      ...(d.controlPlane
        ? ([
            ["cluster.apiServer.extraArgs", at(v1, "cluster", "apiServer", "extraArgs"), "apiServerFlags"],
            [
              "cluster.controllerManager.extraArgs",
              at(v1, "cluster", "controllerManager", "extraArgs"),
              "controllerManagerFlags",
            ],
            ["cluster.scheduler.extraArgs", at(v1, "cluster", "scheduler", "extraArgs"), "schedulerFlags"],
          ] as [string, Record<string, unknown> | undefined, keyof RemovedInStep][])
        : []),
    ];
    for (const [where, args, kind] of sections) {
      if (!args) continue;
      for (const flag of Object.keys(args)) {
        if ((removed[kind] ?? []).includes(flag))
          out.push({
            node: d.hostname,
            code: "k8s-removed-flag",
            message: `${d.hostname}: ${where}.${flag}: the flag is removed in Kubernetes ${to} (${step})`,
            hint: `remove ${flag} from the patch that sets ${where}; --skip-checks overrides`,
          });
      }
      for (const gate of String(args["feature-gates"] ?? "")
        .split(",")
        .map((g) => g.split("=")[0]!.trim())
        .filter(Boolean)) {
        if ((removed.featureGates ?? []).includes(gate))
          out.push({
            node: d.hostname,
            code: "k8s-removed-feature-gate",
            message: `${d.hostname}: ${where}.feature-gates: ${gate} is removed in Kubernetes ${to} (${step})`,
            hint: `drop ${gate} from feature-gates; --skip-checks overrides`,
          });
      }
      if (kind === "apiServerFlags") {
        for (const plugin of String(args["enable-admission-plugins"] ?? "")
          .split(",")
          .map((g) => g.trim())
          .filter(Boolean)) {
          if ((removed.admissionPlugins ?? []).includes(plugin))
            out.push({
              node: d.hostname,
              code: "k8s-removed-admission-plugin",
              message: `${d.hostname}: ${where}.enable-admission-plugins: ${plugin} is removed in Kubernetes ${to} (${step})`,
              hint: `drop ${plugin} from enable-admission-plugins; --skip-checks overrides`,
            });
        }
      }
    }
  }
  return out;
}

function at(doc: Record<string, unknown>, ...path: string[]): Record<string, unknown> | undefined {
  const v = path.reduce<unknown>(
    (c, p) => (c && typeof c === "object" ? (c as Record<string, unknown>)[p] : undefined),
    doc,
  );
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function safeKubelet(text: string): string | undefined {
  try {
    return kubeletVersionOf(parseConfigDocuments(text));
  } catch {
    return undefined;
  }
}

function inRange(version: string, min: string, max: string): boolean {
  const minor = (v: string) => Number(v.split(".")[1]);
  return minor(version) >= minor(min) && minor(version) <= minor(max);
}

/**
 * `upgrade-k8s --to`: the desired cluster with every Kubernetes component image retagged to `version` (what
 * talosctl patches), everything else as rendered from talconfig.
 */
export function withKubernetesVersion(desired: DesiredCluster, version: string): DesiredCluster {
  const v = version.replace(/^v/, "");
  return {
    ...desired,
    nodes: desired.nodes.map((n) => {
      const docs = parseAllDocuments(n.configText);
      for (const [key, image] of Object.entries(kubernetesImagesOf(parseConfigDocuments(n.configText)))) {
        const [document, path] = key.split(":") as [string, string];
        const doc = docs.find((d) =>
          document === "v1alpha1" ? d.get("kind") === undefined : d.get("kind") === document,
        );
        doc?.setIn(path.split("."), withImageTag(image, `v${v}`));
      }
      return { ...n, kubernetesVersion: v, configText: docs.map((d) => d.toString()).join("") };
    }),
  };
}

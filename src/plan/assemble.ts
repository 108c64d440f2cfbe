import { TalosContract } from "../contract/index.js";
import {
  configDigest,
  digestText,
  installerImageOf,
  imageTagVersion,
  kubeletVersionOf,
  kubernetesImagesOf,
  parseConfigDocuments,
  withImageTag,
  type ConfigDocuments,
} from "./config-documents.js";
import { changedPaths, diffConfigs } from "./config-diff.js";
import { rebootReasons } from "./reboot-impact.js";
import { schematicRegistrations } from "./registrations.js";
import type {
  DesiredCluster,
  DesiredNode,
  DiffEntry,
  NodePlan,
  ObservedCluster,
  ObservedNode,
  ObservedRevision,
  Plan,
  PlanAction,
  PlanProblem,
} from "./types.js";
import { planKubernetesUpgrade } from "./kubernetes-upgrade.js";
import { upgradePath } from "./upgrade-path.js";
import { planRemovals } from "./membership.js";

export interface AssemblePlanOptions {
  readonly toolVersion: string;
  /** ISO timestamp of planning (passed in: the core reads no clock). */
  readonly now: string;
  /** hostname → digest of the config talform last applied (from the rollout state), for drift. */
  readonly lastApplied?: Readonly<Record<string, string>>;
  readonly talconfig?: { readonly path: string; readonly digest: string };
  /** `--offline`: register no schematic with the Image Factory (the plan records what it skipped). */
  readonly offline?: boolean;
  /** Pre-upgrade findings of a Kubernetes upgrade are reported instead of blocking (`--skip-checks`). */
  readonly skipChecks?: boolean;
}

/**
 * The plan: per node, the ordered actions that take it from what it runs to what is desired, with the reasons.
 * Pure: same inputs, same plan. Control planes come first (in desired order), then workers — the order apply
 * executes them in.
 */
export function assemblePlan(desired: DesiredCluster, observed: ObservedCluster, options: AssemblePlanOptions): Plan {
  const errors: PlanProblem[] = [];
  const ordered = [...desired.nodes.filter((n) => n.controlPlane), ...desired.nodes.filter((n) => !n.controlPlane)];
  const bootstrapNode = ordered.find((n) => n.controlPlane);
  const memo = parseMemo();
  const nodes = ordered.map((d) => {
    const o =
      observed.nodes.find((x) => x.hostname === d.hostname) ?? observed.nodes.find((x) => x.address === d.address);
    const r = planNode(d, o, {
      bootstrap: !observed.etcdBootstrapped && d === bootstrapNode,
      lastApplied: options.lastApplied?.[d.hostname],
      memo,
    });
    errors.push(...r.errors);
    return r.plan;
  });
  // Nodes in the cluster that the talconfig no longer names: `remove` (membership.ts), after the others.
  const removals = planRemovals(desired, observed, observedRevision);
  errors.push(...removals.errors);
  const lastCp = nodes.findLastIndex((n) => n.controlPlane);
  nodes.splice(lastCp + 1, 0, ...removals.nodes.filter((n) => n.controlPlane));
  nodes.push(...removals.nodes.filter((n) => !n.controlPlane));
  const k8s = planKubernetesUpgrade(desired, observed, { skipChecks: options.skipChecks ?? false });
  errors.push(...k8s.errors);
  const changes = nodes.reduce((s, n) => s + n.actions.length, 0) + (k8s.plan ? 1 : 0);
  const registrations = schematicRegistrations(desired, nodes);
  return {
    formatVersion: 1,
    tool: { name: "talform", version: options.toolVersion },
    createdAt: options.now,
    clusterName: desired.clusterName,
    inputs: {
      ...(options.talconfig ? { talconfig: options.talconfig.path, talconfigDigest: options.talconfig.digest } : {}),
      desiredDigest: desiredDigest(desired, memo.digest),
    },
    etcdBootstrapped: observed.etcdBootstrapped,
    prepare: options.offline ? [] : registrations,
    ...(options.offline ? { offline: { skipped: registrations.map((r) => r.schematicId) } } : {}),
    nodes,
    ...(k8s.plan ? { kubernetes: k8s.plan } : {}),
    errors,
    ...(removals.warnings.length > 0 ? { warnings: removals.warnings } : {}),
    summary: {
      changes,
      nodesChanged: nodes.filter(
        (n) => n.actions.length > 0 || (k8s.plan?.steps.some((s) => s.node === n.hostname) ?? false),
      ).length,
    },
  };
}

/** A digest over everything desired (configs by their semantic digest), so apply can tell the inputs changed. */
export function desiredDigest(desired: DesiredCluster, digestOf: (text: string) => string = configDigest): string {
  return digestText(
    JSON.stringify(
      desired.nodes.map((n) => [
        n.hostname,
        n.address,
        n.controlPlane,
        n.talosVersion,
        n.installImage,
        n.schematicId ?? "",
        [...n.extensions].sort(),
        n.kubernetesVersion,
        digestOf(n.configText),
      ]),
    ),
  );
}

/** Parses each config text once per plan (200 nodes' configs dominate planning time otherwise). */
function parseMemo(): { docs: (text: string) => ConfigDocuments; digest: (text: string) => string } {
  const docs = new Map<string, ConfigDocuments>();
  const digests = new Map<string, string>();
  const parse = (text: string) => {
    let d = docs.get(text);
    if (!d) docs.set(text, (d = parseConfigDocuments(text)));
    return d;
  };
  return {
    docs: parse,
    digest: (text) => {
      let d = digests.get(text);
      if (!d) digests.set(text, (d = configDigest(text)));
      return d;
    },
  };
}

export function observedRevision(o: ObservedNode | undefined): ObservedRevision {
  if (!o) return { reachable: false, maintenance: false };
  return {
    reachable: o.reachable,
    maintenance: o.maintenance,
    ...(o.talosVersion ? { talosVersion: o.talosVersion } : {}),
    ...(o.schematicId ? { schematicId: o.schematicId } : {}),
    ...(o.extensions ? { extensions: [...o.extensions].sort() } : {}),
    ...(o.configDigest ? { configDigest: o.configDigest } : {}),
    ...(o.stagedConfigDigest ? { stagedConfigDigest: o.stagedConfigDigest } : {}),
    ...(o.bootId ? { bootId: o.bootId } : {}),
  };
}

interface NodeContext {
  readonly bootstrap: boolean;
  readonly lastApplied: string | undefined;
  readonly memo: ReturnType<typeof parseMemo>;
}

function planNode(
  d: DesiredNode,
  o: ObservedNode | undefined,
  ctx: NodeContext,
): { plan: NodePlan; errors: PlanProblem[] } {
  const errors: PlanProblem[] = [];
  const problem = (code: string, message: string, hint?: string) =>
    errors.push({ node: d.hostname, code, message, ...(hint ? { hint } : {}) });
  const actions: PlanAction[] = [];
  let diff: DiffEntry[] = [];
  const base = {
    hostname: d.hostname,
    address: d.address,
    controlPlane: d.controlPlane,
    observed: observedRevision(o),
  };
  const done = (drift?: NodePlan["drift"]) => ({
    plan: { ...base, actions, reboots: actions.some(reboots), diff, ...(drift ? { drift } : {}) },
    errors,
  });

  let desiredDocs: ConfigDocuments;
  try {
    desiredDocs = ctx.memo.docs(d.configText);
  } catch (e) {
    problem("desired-config", `the rendered config of ${d.hostname} is not valid YAML: ${(e as Error).message}`);
    return done();
  }
  checkDesiredImages(d, desiredDocs, problem);
  const wantDigest = ctx.memo.digest(d.configText);

  if (!o || !o.reachable) {
    problem(
      "unreachable",
      `${d.hostname} (${d.address}) could not be observed: ${o?.error ?? "no answer"}`,
      "check that the node is powered on and reachable on port 50000, then plan again",
    );
    return done();
  }
  if (o.maintenance) {
    actions.push({
      type: "install",
      reason: "the node is in maintenance mode: apply its config (insecure) to install Talos",
      configDigest: wantDigest,
      talosVersion: d.talosVersion,
    });
    if (ctx.bootstrap)
      actions.push({
        type: "bootstrap",
        reason: "no control plane runs etcd yet: bootstrap the cluster on the first control plane",
      });
    // A first install has nothing to compare with: list the documents, not their (long) contents.
    diff = [...desiredDocs.keys()].sort().map((document) => ({ document, path: "", op: "add" as const }));
    return done();
  }
  if (!o.talosVersion || o.configText === undefined) {
    problem(
      "observe",
      `${d.hostname}: its Talos version or running config could not be read`,
      "the talosconfig needs the os:admin role to read the machine config",
    );
    return done();
  }

  // 1. Installer identity: Talos version, schematic, extensions → upgrade (through every minor in between).
  const extensionsDiffer = o.extensions !== undefined && !sameSet(o.extensions, d.extensions);
  const schematicDiffers =
    o.schematicId !== undefined && d.schematicId !== undefined && o.schematicId !== d.schematicId;
  if (o.talosVersion !== d.talosVersion || extensionsDiffer || schematicDiffers) {
    const path = upgradePath(o.talosVersion, d.talosVersion);
    if ("error" in path) problem("upgrade-path", `${d.hostname}: ${path.error}`);
    else {
      const hops = path.hops.length > 0 ? path.hops : [d.talosVersion];
      let from = o.talosVersion;
      for (const to of hops) {
        const why =
          from !== to
            ? `Talos ${from} → ${to}${hops.length > 1 ? ` (hop ${hops.indexOf(to) + 1} of ${hops.length}: one minor at a time)` : ""}`
            : `the installed extensions differ (${describeSetChange(o.extensions ?? [], d.extensions)})`;
        actions.push({
          type: "upgrade",
          reason: why,
          from,
          to,
          image: imageFor(d.installImage, d.talosVersion, to),
          ...(d.schematicId ? { schematicId: d.schematicId } : {}),
          extensions: [...d.extensions].sort(),
        });
        from = to;
      }
    }
  }

  // 2. Config: a semantic diff; Kubernetes image changes are `upgrade-k8s`, everything else `apply-config`.
  let observedDocs: ConfigDocuments;
  try {
    // Same digest, same meaning: no need to parse and diff the running config.
    observedDocs = o.configDigest === wantDigest ? desiredDocs : parseConfigDocuments(o.configText);
  } catch (e) {
    problem("observed-config", `${d.hostname}: the running config is not valid YAML: ${(e as Error).message}`);
    return done();
  }
  diff = observedDocs === desiredDocs ? [] : diffConfigs(observedDocs, desiredDocs);
  const target = TalosContract.parse(d.talosVersion);
  if (!target?.supported)
    problem("talos-version", `${d.hostname}: Talos ${d.talosVersion} is not supported by this talform`);
  const imagePaths = new Set(Object.keys({ ...kubernetesImagesOf(observedDocs), ...kubernetesImagesOf(desiredDocs) }));
  const k8sFrom = kubeletVersionOf(observedDocs) ?? o.kubernetesVersion;
  const otherChanges = diff.filter((e) => !imagePaths.has(`${e.document}:${e.path}`));
  const reasons = target ? rebootReasons(otherChanges, target) : [];
  if (k8sFrom !== d.kubernetesVersion) {
    if (reasons.length > 0) {
      problem(
        "mixed-k8s-reboot",
        `${d.hostname}: a Kubernetes upgrade (${k8sFrom ?? "unknown"} → ${d.kubernetesVersion}) and changes that need a reboot (${reasons.join(", ")}) are planned together`,
        "roll out one of them first (e.g. keep kubernetesVersion, apply, then bump it)",
      );
    }
    // The Kubernetes upgrade is one cluster-level action (planKubernetesUpgrade); its last kubelet step applies this
    // node's whole desired config, other live changes included.
  } else if (diff.length > 0 || (o.stagedConfigDigest !== undefined && o.stagedConfigDigest !== wantDigest)) {
    const onlyImages = diff.length > 0 && otherChanges.length === 0;
    if (onlyImages) {
      problem(
        "k8s-images",
        `${d.hostname}: the config changes Kubernetes component images without a kubernetesVersion change`,
        "set kubernetesVersion in talconfig.yaml instead of patching component images",
      );
    }
    const mode = reasons.length > 0 && !target?.explicitRebootForConfigChanges() ? "reboot" : "no-reboot";
    const staged =
      o.stagedConfigDigest !== undefined && o.stagedConfigDigest !== wantDigest
        ? `a staged config waits for the next reboot; applying replaces it`
        : "";
    actions.push({
      type: "apply-config",
      reason: [
        diff.length > 0
          ? `${diff.length} change(s): ${summarize(diff)}${reasons.length > 0 ? ` — needs a reboot: ${reasons.join(", ")}` : ""}`
          : "",
        staged,
      ]
        .filter(Boolean)
        .join("; "),
      mode,
      rebootReasons: reasons,
      configDigest: wantDigest,
    });
    if (reasons.length > 0 && target?.explicitRebootForConfigChanges()) {
      actions.push({
        type: "reboot",
        reason: `Talos ${d.talosVersion} applies without rebooting, but ${reasons.join(", ")} only take effect after one`,
      });
    }
  }
  if (
    o.stagedConfigDigest !== undefined &&
    o.stagedConfigDigest !== wantDigest &&
    actions.some((a) => a.type === "upgrade")
  ) {
    problem(
      "staged-config",
      `${d.hostname}: a staged config waits for the next reboot, and the upgrade's reboot would activate it`,
      "apply the current configuration without the upgrade first (keep talosVersion), then upgrade",
    );
  }
  if (ctx.bootstrap && d.controlPlane)
    actions.push({
      type: "bootstrap",
      reason: "no control plane runs etcd yet: bootstrap the cluster on the first control plane",
    });

  const drift =
    ctx.lastApplied && o.configDigest && ctx.lastApplied !== o.configDigest
      ? { lastAppliedDigest: ctx.lastApplied, observedDigest: o.configDigest }
      : undefined;
  return done(drift);
}

/** The rendered config must pin exactly the desired installer and Kubernetes version: otherwise applying it would
 * silently change what the node installs or runs (that is an upgrade, and needs its own action). */
function checkDesiredImages(
  d: DesiredNode,
  docs: ConfigDocuments,
  problem: (code: string, message: string, hint?: string) => void,
): void {
  const tagged = imageTagVersion(d.installImage);
  if (tagged !== undefined && `v${tagged}` !== d.talosVersion) {
    problem(
      "installer-version",
      `${d.hostname}: the installer ${d.installImage} is not Talos ${d.talosVersion}`,
      "derive the installer image from talosVersion",
    );
  }
  const installer = installerImageOf(docs);
  if (installer !== undefined && installer !== d.installImage) {
    problem(
      "installer-image",
      `${d.hostname}: the rendered config installs ${installer}, but the node's installer is ${d.installImage}`,
      "derive the installer from talosVersion and the schematic; do not patch machine.install.image",
    );
  }
  for (const [where, image] of Object.entries(kubernetesImagesOf(docs))) {
    if (imageTagVersion(image) !== d.kubernetesVersion) {
      problem(
        "k8s-image",
        `${d.hostname}: ${where} pins ${image}, but kubernetesVersion is ${d.kubernetesVersion}`,
        "set kubernetesVersion instead of patching component images",
      );
    }
  }
}

function reboots(a: PlanAction): boolean {
  return (
    a.type === "install" ||
    a.type === "upgrade" ||
    a.type === "reboot" ||
    (a.type === "apply-config" && a.mode === "reboot")
  );
}

/** The installer for a hop: the desired image with the hop's version tag (same registry and schematic). */
function imageFor(installImage: string, finalVersion: string, hop: string): string {
  return hop === finalVersion ? installImage : withImageTag(installImage, hop);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  return x.size === new Set(b).size && b.every((e) => x.has(e));
}

function describeSetChange(from: readonly string[], to: readonly string[]): string {
  const added = to.filter((e) => !from.includes(e));
  const removed = from.filter((e) => !to.includes(e));
  return [...added.map((e) => `+${e}`), ...removed.map((e) => `-${e}`)].join(", ") || "same set";
}

function summarize(diff: readonly DiffEntry[]): string {
  const paths = changedPaths(diff);
  return paths.length <= 3 ? paths.join(", ") : `${paths.slice(0, 3).join(", ")} and ${paths.length - 3} more`;
}

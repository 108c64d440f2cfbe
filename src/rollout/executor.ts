import { Code, ConnectError } from "@connectrpc/connect";
import { ApplyMode, type TalosClient } from "../talosapi/index.js";
import { toError } from "../talosapi/client.js";
import {
  configDigest,
  desiredDigest,
  imageTagVersion,
  installerImageOf,
  kubeletVersionOf,
  observeCluster,
  observedRevision,
  parseConfigDocuments,
  type ClusterAccess,
  type DesiredCluster,
  type DesiredNode,
  type KubeApi,
  type NodePlan,
  type ObservedNode,
  type ObservedRevision,
  type Plan,
  type PlanAction,
} from "../plan/index.js";
import { TalformError } from "../diagnostics/index.js";
import { TalosContract } from "../contract/index.js";
import {
  ensureSchematicRegistered,
  installerImageKnown,
  type FactoryEndpoint,
  type FactoryHttp,
} from "../factory/index.js";
import type { Reporter } from "./events.js";
import type { JournalStore, RolloutJournal } from "./journal.js";
import { runKubernetesStep, type KubernetesStepContext } from "./kubernetes-steps.js";
import { stepsFor, type Step } from "./steps.js";
import { checkRemovalQuorum, removeNode, type RemovalContext } from "./remove-node.js";

export interface ExecuteOptions {
  readonly access: ClusterAccess;
  readonly journal: JournalStore;
  readonly report: Reporter;
  /** Continue the journal's unfinished run of this plan instead of starting a new one. */
  readonly resume?: boolean;
  /** Workers upgraded at once (control planes are always one at a time). Default 1. */
  readonly maxParallel?: number;
  /** Runs after each node; a rejection stops the rollout (e.g. `--gate CMD`). */
  readonly gate?: (node: NodePlan) => Promise<void>;
  /** Saves an etcd snapshot before the first control-plane change; returns where. Absent = no snapshot. */
  readonly saveEtcdSnapshot?: (data: Uint8Array) => Promise<string>;
  readonly pollMs?: number;
  /** How long a node may take to reboot/install and come back (default 30 min). */
  readonly rebootTimeoutMs?: number;
  /** How long health, services, Ready and drains may take (default 10 min). */
  readonly healthTimeoutMs?: number;
  readonly now?: () => Date;
  /** The network to the Image Factory (`fetch`); needed when the plan has register-schematic steps. */
  readonly factoryHttp?: FactoryHttp;
  /** The plan removes nodes (`remove` actions): only with the user's explicit consent (`--allow-remove`). */
  readonly allowRemove?: boolean;
  /** Pre-pulls an image on a node for `upgrade-k8s` (absent: the step reports that it pulled nothing). */
  readonly prePull?: (node: NodePlan, image: string) => Promise<"pulled" | "unimplemented">;
  /** Test hook: called after a step is journaled as done (throwing simulates a crash at that step boundary). */
  readonly afterStep?: (stepId: string) => void | Promise<void>;
}

export interface RolloutResult {
  readonly ok: boolean;
  readonly failedNode?: string;
  readonly error?: string;
  readonly etcdSnapshot?: string;
}

/** The plan no longer describes the cluster (or the inputs): apply refuses it and asks for a new plan. */
export class StalePlanError extends Error {
  constructor(readonly reasons: readonly string[]) {
    super(`the plan is stale: ${reasons.join("; ")}`);
    this.name = "StalePlanError";
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Executes exactly `plan`: control planes strictly one at a time with etcd quorum and HealthCheck before and after
 * each, then workers in batches of `maxParallel`. Stops at the first failure; untouched nodes stay untouched.
 */
export async function executePlan(plan: Plan, desired: DesiredCluster, o: ExecuteOptions): Promise<RolloutResult> {
  const started = Date.now();
  const now = () => (o.now ?? (() => new Date()))().toISOString();
  if (plan.errors.length > 0)
    throw new TalformError(
      `the plan has ${plan.errors.length} error(s) and cannot be applied: ${plan.errors.map((e) => e.message).join("; ")}`,
      { code: "plan-errors", hint: "fix the errors the plan lists, then plan again" },
    );
  if (desiredDigest(desired) !== plan.inputs.desiredDigest)
    throw new StalePlanError(["the configuration (talconfig, secrets or rendered configs) changed since planning"]);
  const removed = plan.nodes.filter((n) => n.actions.some((a) => a.type === "remove")).map((n) => n.hostname);
  if (removed.length > 0 && !o.allowRemove)
    throw new Error(
      `the plan removes ${removed.join(", ")} from the cluster; apply it with --allow-remove (or confirm when asked)`,
    );

  const journal = await o.journal.load();
  if (o.resume) {
    if (!journal.run || journal.run.planDigest !== plan.inputs.desiredDigest)
      throw new TalformError("there is no interrupted run of this plan to resume", {
        code: "no-resume",
        hint: "run `talform apply` without --resume",
      });
    if (journal.run.finishedAt)
      throw new TalformError("the last run of this plan already finished: there is nothing to resume", {
        code: "no-resume",
        hint: "run `talform plan` to see what is left, then `talform apply`",
      });
    delete journal.run.failed;
  } else {
    journal.run = { planDigest: plan.inputs.desiredDigest, startedAt: now(), steps: {} };
  }
  const run = journal.run;
  const save = () => o.journal.save(journal);
  await save();

  const cps = plan.nodes.filter((n) => n.controlPlane && n.actions.length > 0);
  const workers = plan.nodes.filter((n) => !n.controlPlane && n.actions.length > 0);
  // Every node downloads its installer while the first ones upgrade (as talosctl and tuppr pre-pull): a pull costs
  // the rollout its longest download once instead of one download per node or batch. A pull touches nothing on the
  // node, so it starts before the staleness check below (whose observation it would otherwise wait for) — unless
  // the plan registers schematics first: the factory serves those images only afterwards.
  const earlyPulls = new Map<string, Promise<string | undefined>>();
  const startPrePulls = () =>
    startInstallerPulls(
      [...cps, ...workers].filter((n) => run.steps[`${n.hostname}/pre-pull`]?.status !== "done"),
      o.access,
      earlyPulls,
    );
  if (plan.prepare.length === 0) startPrePulls();

  const byHost = new Map(desired.nodes.map((n) => [n.hostname, n]));
  // A started Kubernetes upgrade changes every node's config step by step: none of them is stale for it.
  const touched = (h: string) => Object.keys(run.steps).some((id) => id.startsWith(`${h}/`) || id.startsWith("k8s/"));
  const observed = await observeCluster(
    plan.nodes.map((n) => ({ hostname: n.hostname, address: n.address, controlPlane: n.controlPlane })),
    o.access,
  );
  const stale: string[] = [];
  for (const n of plan.nodes) {
    if (touched(n.hostname)) continue; // changed by this run, before the interruption
    const now = observedRevision(observed.nodes.find((x) => x.hostname === n.hostname));
    const diff = revisionDifference(n.observed, now);
    if (diff) stale.push(`${n.hostname}: ${diff}`);
  }
  if (stale.length > 0) throw new StalePlanError(stale);

  const ctx = new RolloutContext(plan, byHost, observed.nodes, observed.etcdBootstrapped, o, earlyPulls);
  ctx.imageFactory = desired.imageFactory;
  // Every cordon is journaled with the boot id it happened at, so a failure before the reboot can undo it and
  // plan/health/doctor can tell the user which nodes talform left cordoned and why.
  ctx.onCordon = async (node, bootId) => {
    const why = node.actions.map((a) => a.type).join(", ");
    journal.cordoned = {
      ...journal.cordoned,
      [node.hostname]: {
        at: now(),
        reason: `drained for ${why} by the apply started ${run.startedAt}`,
        ...(bootId ? { bootId } : {}),
      },
    };
    await save();
  };
  const uncordoned = async (h: string) => {
    if (!journal.cordoned?.[h]) return;
    delete journal.cordoned[h];
    await save();
  };
  const k8sSteps = plan.kubernetes?.steps ?? [];
  const total =
    plan.prepare.length +
    [...cps, ...workers].reduce((s, n) => s + stepsFor(n, { gate: !!o.gate }).length, 0) +
    k8sSteps.length;
  o.report({
    type: "rollout-start",
    nodes: [...cps, ...workers].map((n) => n.hostname),
    steps: total,
    resumed: !!o.resume,
  });

  const runPrepare = async (r: Plan["prepare"][number]): Promise<void> => {
    const id = `factory/register-${r.schematicId.slice(0, 12)}`;
    const label = `register schematic ${r.schematicId.slice(0, 12)}… at ${r.factory}`;
    if (run.steps[id]?.status === "done")
      return o.report({ type: "step-skip", node: "factory", step: id, label, why: "done in a previous run" });
    o.report({ type: "step-start", node: "factory", step: id, label });
    const t0 = Date.now();
    try {
      if (!o.factoryHttp) throw new Error("no network to the image factory was given (library use: pass factoryHttp)");
      const result = await ensureSchematicRegistered(
        { baseUrl: r.factory, registry: "", schematicEndpoint: r.schematicEndpoint },
        r.schematicId,
        r.schematic,
        o.factoryHttp,
      );
      o.report({
        type: "info",
        node: "factory",
        message:
          result.outcome === "registered"
            ? `registered ${r.schematicId.slice(0, 12)}… (POST ${result.url})`
            : `${r.schematicId.slice(0, 12)}… is already registered`,
      });
    } catch (e) {
      const hint = e instanceof TalformError ? e.diagnostics[0]?.hint : undefined;
      const error = `${toError(e).message}; no node was touched${hint ? ` (${hint})` : ""}`;
      o.report({ type: "step-failed", node: "factory", step: id, label, error });
      run.failed = { step: id, error };
      await save();
      throw new NodeFailure("factory", error);
    }
    run.steps[id] = { status: "done", at: now() };
    await save();
    o.report({ type: "step-done", node: "factory", step: id, label, ms: Date.now() - t0 });
  };

  const runNode = async (node: NodePlan): Promise<void> => {
    for (const step of stepsFor(node, { gate: !!o.gate })) {
      const rec = run.steps[step.id];
      if (rec?.status === "done") {
        o.report({
          type: "step-skip",
          node: node.hostname,
          step: step.id,
          label: step.label,
          why: "done in a previous run",
        });
        continue;
      }
      if (needsSnapshot(step) && o.saveEtcdSnapshot && !run.etcdSnapshot && ctx.bootstrapped) {
        run.etcdSnapshot = await o.saveEtcdSnapshot(await ctx.snapshot());
        o.report({ type: "info", message: `etcd snapshot saved to ${run.etcdSnapshot}` });
        await save();
      }
      const t0 = Date.now();
      o.report({ type: "step-start", node: node.hostname, step: step.id, label: step.label });
      const resumed = rec?.status === "started" ? rec : undefined;
      const entry = {
        status: "started" as const,
        at: now(),
        ...(resumed?.bootIdBefore ? { bootIdBefore: resumed.bootIdBefore } : {}),
      };
      run.steps[step.id] = entry;
      await save();
      try {
        await ctx.runStep(step, entry, resumed !== undefined, save);
      } catch (e) {
        const error = toError(e).message;
        o.report({ type: "step-failed", node: node.hostname, step: step.id, label: step.label, error });
        run.failed = { step: step.id, error };
        await save();
        const cordon = journal.cordoned?.[node.hostname];
        if (cordon && (await ctx.uncordonUnlessRebooted(node, cordon.bootId))) {
          delete run.steps[`${node.hostname}/drain`]; // a resumed run drains it again before acting
          await uncordoned(node.hostname);
        }
        throw new NodeFailure(node.hostname, error);
      }
      if (step.kind === "uncordon") await uncordoned(node.hostname);
      run.steps[step.id] = { status: "done", at: now() };
      if (step.action && "configDigest" in step.action) journal.applied[node.hostname] = step.action.configDigest;
      await save();
      o.report({ type: "step-done", node: node.hostname, step: step.id, label: step.label, ms: Date.now() - t0 });
      await o.afterStep?.(step.id);
    }
  };

  try {
    // Before any node: the factory must serve every installer image the plan installs (nothing is touched otherwise).
    if (plan.prepare.length > 0) {
      for (const r of plan.prepare) await runPrepare(r);
      startPrePulls();
    }
    for (const cp of cps) await runNode(cp);
    const batch = Math.max(1, o.maxParallel ?? 1);
    for (let i = 0; i < workers.length; i += batch) {
      const results = await Promise.allSettled(workers.slice(i, i + batch).map(runNode));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    }
    // Talos first, then Kubernetes: the cluster-level upgrade-k8s sub-steps, each journaled like a node's steps.
    for (const step of k8sSteps) {
      const where = step.node ?? "cluster";
      if (run.steps[step.id]?.status === "done") {
        o.report({ type: "step-skip", node: where, step: step.id, label: step.label, why: "done in a previous run" });
        continue;
      }
      const t0 = Date.now();
      o.report({ type: "step-start", node: where, step: step.id, label: step.label });
      run.steps[step.id] = { status: "started", at: now() };
      await save();
      try {
        await runKubernetesStep(step, ctx.kubernetesContext());
      } catch (e) {
        const error = toError(e).message;
        o.report({ type: "step-failed", node: where, step: step.id, label: step.label, error });
        run.failed = { step: step.id, error };
        await save();
        throw new NodeFailure(where, error);
      }
      run.steps[step.id] = { status: "done", at: now() };
      if (step.kind === "kubelet" && step.version === plan.kubernetes!.to)
        journal.applied[where] = configDigest(byHost.get(where)!.configText);
      await save();
      o.report({ type: "step-done", node: where, step: step.id, label: step.label, ms: Date.now() - t0 });
      await o.afterStep?.(step.id);
    }
  } catch (e) {
    if (!(e instanceof NodeFailure)) throw e;
    o.report({ type: "rollout-done", ok: false, failedNode: e.node, ms: Date.now() - started });
    return {
      ok: false,
      failedNode: e.node,
      error: e.message,
      ...(run.etcdSnapshot ? { etcdSnapshot: run.etcdSnapshot } : {}),
    };
  }
  run.finishedAt = now();
  await save();
  o.report({ type: "rollout-done", ok: true, ms: Date.now() - started });
  return { ok: true, ...(run.etcdSnapshot ? { etcdSnapshot: run.etcdSnapshot } : {}) };
}

/**
 * Runs independent checks at once. The first to fail stops the others' waits (their `stop` signal); the error thrown
 * is the first in list order among those that failed on their own (not because they were stopped).
 */
async function allChecks(checks: readonly ((stop: AbortSignal) => Promise<void>)[]): Promise<void> {
  const stop = new AbortController();
  const failures = await Promise.all(
    checks.map(async (check) => {
      try {
        await check(stop.signal);
        return undefined;
      } catch (e) {
        const stopped = stop.signal.aborted;
        stop.abort();
        return { e, stopped };
      }
    }),
  );
  const failure = failures.find((f) => f && !f.stopped) ?? failures.find((f) => f);
  if (failure) throw failure.e;
}

/**
 * Starts the first hop's installer pull on every node that has a pull API, all at once, into `pulls`; each node's
 * pre-pull step then waits for its own pull and fails (before draining) if it failed.
 */
function startInstallerPulls(
  nodes: readonly NodePlan[],
  access: ClusterAccess,
  pulls: Map<string, Promise<string | undefined>>,
): void {
  for (const node of nodes) {
    const first = upgradesOf(node)[0];
    if (first && TalosContract.parse(node.observed.talosVersion ?? "")?.installerPrePullApi())
      pulls.set(node.hostname, pullInstaller(access, node, first.image));
  }
}

/** Pulls `image` on the node: undefined when it is there, else why not (never rejects). */
async function pullInstaller(access: ClusterAccess, node: NodePlan, image: string): Promise<string | undefined> {
  try {
    const [r] = await access.secure(node.address).pullInstallerImage(image, [node.address]);
    return r?.error?.error.message;
  } catch (e) {
    return toError(e).message;
  }
}

function upgradesOf(node: NodePlan): Extract<PlanAction, { type: "upgrade" }>[] {
  return node.actions.filter((a): a is Extract<PlanAction, { type: "upgrade" }> => a.type === "upgrade");
}

class NodeFailure extends Error {
  constructor(
    readonly node: string,
    message: string,
  ) {
    super(`${node}: ${message}`);
  }
}

/** A control-plane change that takes a member down or changes it: snapshot etcd first. */
function needsSnapshot(step: Step): boolean {
  return (
    step.node.controlPlane &&
    step.kind === "action" &&
    step.action!.type !== "install" &&
    step.action!.type !== "bootstrap"
  );
}

export function revisionDifference(planned: ObservedRevision, now: ObservedRevision): string | undefined {
  const fields: (keyof ObservedRevision)[] = [
    "reachable",
    "maintenance",
    "talosVersion",
    "schematicId",
    "configDigest",
    "stagedConfigDigest",
    "bootId",
  ];
  for (const f of fields) {
    if (planned[f] !== now[f])
      return `${f} was ${String(planned[f] ?? "unknown")} when planned, is ${String(now[f] ?? "unknown")} now`;
  }
  if ((planned.extensions ?? []).join(",") !== (now.extensions ?? []).join(","))
    return `extensions were [${(planned.extensions ?? []).join(", ")}], are [${(now.extensions ?? []).join(", ")}] now`;
  return undefined;
}

/** The state a rollout carries between steps and the step implementations. */
class RolloutContext {
  /** Nodes that run a configured Talos (not maintenance), by hostname: what health checks cover. */
  private readonly configured = new Set<string>();
  private kubeApi: KubeApi | undefined;
  private readonly pollMs: number;
  private readonly rebootTimeoutMs: number;
  private readonly healthTimeoutMs: number;
  /** Called right before a node is cordoned, with its boot id (the executor journals it). */
  onCordon: ((node: NodePlan, bootId: string | undefined) => Promise<void>) | undefined;
  /** Where installer images come from (the desired cluster's Image Factory), for registry checks. */
  imageFactory: FactoryEndpoint | undefined;
  constructor(
    readonly plan: Plan,
    readonly desired: ReadonlyMap<string, DesiredNode>,
    observed: readonly ObservedNode[],
    public bootstrapped: boolean,
    readonly o: ExecuteOptions,
    /** Installer pulls started ahead of each node's pre-pull step, by hostname: the pull's error, or undefined. */
    private readonly earlyPulls: ReadonlyMap<string, Promise<string | undefined>>,
  ) {
    // What the plan saw configured (a node mid-reboot when a run resumes still counts: the checks wait for it).
    for (const n of plan.nodes) if (n.observed.reachable && !n.observed.maintenance) this.configured.add(n.hostname);
    for (const n of observed) if (n.reachable && !n.maintenance) this.configured.add(n.hostname);
    this.pollMs = o.pollMs ?? 1000;
    this.rebootTimeoutMs = o.rebootTimeoutMs ?? 30 * 60_000;
    this.healthTimeoutMs = o.healthTimeoutMs ?? 10 * 60_000;
  }

  private client(node: NodePlan): TalosClient {
    return this.o.access.secure(node.address);
  }

  private info(node: string, message: string): void {
    this.o.report({ type: "info", node, message });
  }

  /**
   * Polls `check` (a description of what is still wrong, or undefined when satisfied) until it passes or times out;
   * `stop` ends the wait early (another check of the same step failed).
   */
  private async until(
    what: string,
    timeoutMs: number,
    check: () => Promise<string | undefined>,
    stop?: AbortSignal,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let wrong: string | undefined;
      try {
        wrong = await check();
      } catch (e) {
        wrong = toError(e).message;
      }
      if (wrong === undefined) return;
      if (stop?.aborted) throw new Error(`stopped waiting for ${what} (last: ${wrong})`);
      if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what} (last: ${wrong})`);
      await sleep(this.pollMs);
    }
  }

  private async kube(): Promise<KubeApi | undefined> {
    if (!this.bootstrapped) return undefined;
    this.kubeApi ??= await this.o.access.kube();
    return this.kubeApi;
  }

  kubernetesContext(): KubernetesStepContext {
    return {
      plan: this.plan,
      desired: this.desired,
      client: (n) => this.client(n),
      kube: () => this.kube(),
      until: (what, ms, check) => this.until(what, ms, check),
      info: (node, message) => this.info(node, message),
      healthTimeoutMs: this.healthTimeoutMs,
      ...(this.o.prePull ? { prePull: this.o.prePull } : {}),
    };
  }

  async snapshot(): Promise<Uint8Array> {
    for (const n of this.plan.nodes.filter((x) => x.controlPlane && this.configured.has(x.hostname))) {
      try {
        return await this.client(n).etcdSnapshot(n.address);
      } catch {
        // try the next member
      }
    }
    throw new TalformError("no control plane could take an etcd snapshot", {
      code: "etcd-snapshot",
      hint: "check `talform health`, or pass --no-etcd-snapshot to proceed without one",
    });
  }

  async runStep(
    step: Step,
    entry: { bootIdBefore?: string },
    resumed: boolean,
    save: () => Promise<void>,
  ): Promise<void> {
    const node = step.node;
    switch (step.kind) {
      case "pre-check":
      case "post-check":
        if (node.actions.some((a) => a.type === "remove")) return checkRemovalQuorum(this.removal(node), node);
        if (this.bootstrapped && this.configured.has(node.hostname)) await this.clusterHealthy(node);
        // A control plane about to join etcd: every member healthy first (a join while one is down risks quorum).
        else if (this.bootstrapped && node.controlPlane && step.kind === "pre-check") await this.etcdMembersHealthy();
        return;
      case "pre-pull":
        return this.prePull(node);
      case "drain":
        return this.drain(node);
      case "uncordon": {
        const kube = await this.kube();
        if (kube) await kube.setUnschedulable(node.hostname, false);
        return;
      }
      case "verify":
        return this.verify(node);
      case "gate":
        return this.o.gate!(node);
      case "action":
        return this.runAction(node, step.action!, entry, resumed, save);
    }
  }

  // --- actions ----------------------------------------------------------------------------------------------------

  private async runAction(
    node: NodePlan,
    a: PlanAction,
    entry: { bootIdBefore?: string },
    resumed: boolean,
    save: () => Promise<void>,
  ): Promise<void> {
    if (a.type === "remove") {
      // A removed node has no desired config: it leaves (remove-node.ts).
      await removeNode(this.removal(node), node, a);
      this.configured.delete(node.hostname);
      return;
    }
    const d = this.desired.get(node.hostname)!;
    const client = this.client(node);
    const config = new Uint8Array(Buffer.from(d.configText));
    switch (a.type) {
      case "install": {
        if (!(resumed && (await this.runsConfig(node, a.configDigest)))) {
          const [r] = await this.o.access
            .insecure(node.address)
            .applyConfiguration(config, { mode: ApplyMode.AUTO }, [node.address]);
          if (r?.error) throw new Error(`apply-config --insecure: ${r.error.error.message}`);
        }
        await this.until(`${node.hostname} to install and boot`, this.rebootTimeoutMs, async () =>
          (await this.running(node)) ? undefined : "not running with the cluster's certificates yet",
        );
        this.configured.add(node.hostname);
        return;
      }
      case "bootstrap": {
        try {
          await client.bootstrap(node.address);
        } catch (e) {
          // A resumed run may have bootstrapped already: etcd then says its data directory is not empty.
          if (!(resumed && ConnectError.from(e).code === Code.AlreadyExists)) throw e;
        }
        this.bootstrapped = true;
        await this.until(`etcd on ${node.hostname}`, this.healthTimeoutMs, async () => {
          const [s] = await client.etcdStatus([node.address]);
          return s?.error ? s.error.error.message : undefined;
        });
        return;
      }
      case "upgrade": {
        // Resumed: the node may be mid-reboot from the interrupted attempt; once it runs, it either has the new
        // version (done) or the upgrade is issued again.
        if (resumed && (await this.settle(node), await this.runsInstaller(node, a.to, a.extensions))) return;
        const before = await client.bootId(node.address);
        entry.bootIdBefore = before;
        await save();
        const [r] = await client.upgrade(a.image, {}, [node.address]);
        if (r?.error) throw new Error(`upgrade to ${a.image}: ${r.error.error.message}`);
        const back = await client.waitForReboot(node.address, before, {
          timeoutMs: this.rebootTimeoutMs,
          pollMs: this.pollMs,
        });
        if (back.version !== a.to)
          throw new Error(
            `upgrade to ${a.to} failed: the node rebooted but runs ${back.version} (rolled back to the previous boot entry — check \`talform dmesg -n ${node.address}\`)`,
          );
        await this.verifyExtensions(node, a.extensions);
        return;
      }
      case "apply-config": {
        if (resumed && (await this.settle(node), await this.runsConfig(node, a.configDigest))) return;
        await this.guardImages(node, d, false);
        const before = a.mode === "reboot" ? await client.bootId(node.address) : undefined;
        if (before) {
          entry.bootIdBefore = before;
          await save();
        }
        const [r] = await client.applyConfiguration(
          config,
          { mode: a.mode === "reboot" ? ApplyMode.REBOOT : ApplyMode.NO_REBOOT },
          [node.address],
        );
        if (r?.error) throw new Error(`apply-config: ${r.error.error.message}`);
        if (before)
          await client.waitForReboot(node.address, before, { timeoutMs: this.rebootTimeoutMs, pollMs: this.pollMs });
        await this.until(`${node.hostname} to run the new config`, this.healthTimeoutMs, async () =>
          (await this.runsConfig(node, a.configDigest)) ? undefined : "the running config differs",
        );
        return;
      }
      case "reboot": {
        if (resumed && entry.bootIdBefore) {
          await this.settle(node);
          if ((await client.bootId(node.address)) !== entry.bootIdBefore) return;
        }
        const before = await client.bootId(node.address);
        entry.bootIdBefore = before;
        await save();
        const [r] = await client.reboot(undefined, [node.address]);
        if (r?.error) throw new Error(`reboot: ${r.error.error.message}`);
        await client.waitForReboot(node.address, before, { timeoutMs: this.rebootTimeoutMs, pollMs: this.pollMs });
        return;
      }
      case "upgrade-k8s": {
        if (!(resumed && (await this.runsConfig(node, a.configDigest)))) {
          await this.guardImages(node, d, true);
          const [r] = await client.applyConfiguration(config, { mode: ApplyMode.NO_REBOOT }, [node.address]);
          if (r?.error) throw new Error(`apply-config (Kubernetes ${a.to}): ${r.error.error.message}`);
        }
        const kube = await this.kube();
        if (kube) {
          await this.until(`the kubelet on ${node.hostname} to report v${a.to}`, this.healthTimeoutMs, async () => {
            const k = await kube.node(node.hostname);
            return k?.kubeletVersion === `v${a.to}` ? undefined : `kubelet ${k?.kubeletVersion ?? "not registered"}`;
          });
        }
        return;
      }
    }
  }

  /**
   * The guard shared by apply and upgrade: an apply-config must not change what the node installs (its installer's
   * Talos version) nor, unless it is the `upgrade-k8s` step, the Kubernetes version — that would be a silent upgrade
   * or downgrade behind the plan's back.
   */
  private async guardImages(node: NodePlan, d: DesiredNode, k8sAllowed: boolean): Promise<void> {
    const client = this.client(node);
    const docs = parseConfigDocuments(d.configText);
    const installer = installerImageOf(docs);
    // Both reads at once; the version verdict comes first.
    const runningConfig = k8sAllowed
      ? undefined
      : client.getResource(node.address, "config", "MachineConfigs.config.talos.dev", "v1alpha1");
    runningConfig?.catch(() => undefined); // awaited below unless the version check throws first
    const [v] = await client.version([node.address]);
    const running = v?.value?.version?.tag;
    const wants = installer ? imageTagVersion(installer) : undefined;
    if (running && wants && `v${wants}` !== running) {
      throw new Error(
        `refusing to apply a config that installs ${installer} while the node runs ${running}: that is an upgrade (plan again)`,
      );
    }
    if (runningConfig) {
      const current = await runningConfig;
      const from = typeof current.spec === "string" ? kubeletVersionOf(parseConfigDocuments(current.spec)) : undefined;
      const to = kubeletVersionOf(docs);
      if (from && to && from !== to)
        throw new Error(
          `refusing to apply a config that moves Kubernetes ${from} → ${to} outside upgrade-k8s (plan again)`,
        );
    }
  }

  // --- checks -----------------------------------------------------------------------------------------------------

  /** Waits until the node runs (after an interrupted reboot it may still be coming back). */
  private settle(node: NodePlan): Promise<void> {
    return this.until(`${node.hostname} to be running`, this.rebootTimeoutMs, async () =>
      (await this.running(node)) ? undefined : "not running yet",
    );
  }

  private async running(node: NodePlan): Promise<boolean> {
    try {
      const s = await this.client(node).getResource(
        node.address,
        "runtime",
        "MachineStatuses.runtime.talos.dev",
        "machine",
      );
      const spec = s.spec as { stage?: string; status?: { ready?: boolean } } | undefined;
      return spec?.stage === "running" && spec.status?.ready === true;
    } catch {
      return false;
    }
  }

  private async runsConfig(node: NodePlan, digest: string): Promise<boolean> {
    try {
      const r = await this.client(node).getResource(
        node.address,
        "config",
        "MachineConfigs.config.talos.dev",
        "v1alpha1",
      );
      return typeof r.spec === "string" && configDigest(r.spec) === digest;
    } catch {
      return false;
    }
  }

  private async runsInstaller(node: NodePlan, version: string, extensions: readonly string[]): Promise<boolean> {
    try {
      const [v] = await this.client(node).version([node.address]);
      if (v?.value?.version?.tag !== version) return false;
      await this.verifyExtensions(node, extensions);
      return true;
    } catch {
      return false;
    }
  }

  private async verifyExtensions(node: NodePlan, want: readonly string[]): Promise<void> {
    const list = await this.client(node).listResources(node.address, "runtime", "ExtensionStatuses.runtime.talos.dev");
    const names = list
      .map((e) => (e.spec as { metadata?: { name?: string } } | undefined)?.metadata?.name ?? "")
      .filter((n) => n && n !== "schematic");
    const missing = want.filter((e) => !names.includes(e));
    const extra = names.filter((e) => !want.includes(e));
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(
        `the node runs other extensions than planned (missing: ${missing.join(", ") || "none"}; unexpected: ${extra.join(", ") || "none"})`,
      );
    }
  }

  /** After a node's actions: the desired version, extensions and config really run, services are healthy, Ready. */
  private async verify(node: NodePlan): Promise<void> {
    const d = this.desired.get(node.hostname)!;
    const client = this.client(node);
    await this.settle(node);
    // With a Kubernetes upgrade planned, the node gets its desired config in that upgrade's kubelet step (after this).
    const k8sLater = this.plan.kubernetes?.steps.some((s) => s.node === node.hostname) ?? false;
    const kube = await this.kube();
    // Independent reads of a running node: all at once, the first failure (in this order) is the verdict.
    await allChecks([
      async () => {
        const [v] = await client.version([node.address]);
        const version = v?.value?.version?.tag;
        if (version !== d.talosVersion)
          throw new Error(`the node runs Talos ${version ?? "unknown"}, expected ${d.talosVersion}`);
      },
      () => this.verifyExtensions(node, d.extensions),
      async () => {
        if (!k8sLater && !(await this.runsConfig(node, configDigest(d.configText))))
          throw new Error("the node does not run the planned config");
      },
      (stop) =>
        this.until(
          `services on ${node.hostname} to be healthy`,
          this.healthTimeoutMs,
          async () => {
            const [s] = await client.services([node.address]);
            if (s?.error) return s.error.error.message;
            const bad = s!.value!.filter(
              (x) => !(x.health?.healthy ?? true) && !(x.id === "etcd" && !this.bootstrapped),
            );
            return bad.length > 0
              ? `unhealthy: ${bad.map((x) => `${x.id} (${x.health?.lastMessage ?? x.state})`).join(", ")}`
              : undefined;
          },
          stop,
        ),
      ...(kube
        ? [
            (stop: AbortSignal) =>
              this.until(
                `Kubernetes node ${node.hostname} to be Ready`,
                this.healthTimeoutMs,
                async () => {
                  const k = await kube.node(node.hostname);
                  return k?.ready ? undefined : k ? "NotReady" : "not registered";
                },
                stop,
              ),
          ]
        : []),
    ]);
  }

  /**
   * Before the drain: the first hop's installer is pulled through the node's image API (Talos ≥ 1.13, as talosctl
   * does); for older nodes and later hops, the factory's registry must know the image. Undecidable images (another
   * registry on an old node) are reported as not checked rather than passed.
   */
  private async prePull(node: NodePlan): Promise<void> {
    const upgrades = upgradesOf(node);
    const running = TalosContract.parse(node.observed.talosVersion ?? "");
    for (const [i, a] of upgrades.entries()) {
      if (i === 0 && running?.installerPrePullApi()) {
        const error = await (this.earlyPulls.get(node.hostname) ?? pullInstaller(this.o.access, node, a.image));
        if (error !== undefined) throw new Error(`the node cannot pull ${a.image}: ${error} (nothing was drained)`);
        continue;
      }
      const factory = this.imageFactory;
      const known =
        factory && this.o.factoryHttp ? await installerImageKnown(factory, a.image, this.o.factoryHttp) : undefined;
      if (known === false) throw new Error(`the image factory does not serve ${a.image} (nothing was drained)`);
      if (known === undefined)
        this.info(
          node.hostname,
          `${a.image} not checked before draining: Talos ${node.observed.talosVersion ?? "?"} has no image pull API and the image is not from the configured factory`,
        );
    }
  }

  private async drain(node: NodePlan): Promise<void> {
    const kube = await this.kube();
    if (!kube) {
      this.info(node.hostname, "the Kubernetes API is not reachable: rebooting without a drain");
      return;
    }
    if (!(await kube.node(node.hostname))) return;
    // The boot id lets a failure uncordon a node that never rebooted; a node that cannot say (a lost node being
    // removed, a node in maintenance mode) is still drained, and is then never uncordoned automatically.
    if (this.onCordon)
      await this.onCordon(
        node,
        await this.client(node)
          .bootId(node.address)
          .catch(() => undefined),
      );
    await kube.setUnschedulable(node.hostname, true);
    const evicting = await kube.evictablePods(node.hostname);
    // Listed after the cordon: no pod joins a cordoned node (DaemonSet pods do not count), so with none to evict
    // there is none to wait for.
    if (evicting.length === 0) return;
    for (const p of evicting) await kube.evict(p.namespace, p.name);
    await this.until(`pods to leave ${node.hostname}`, this.healthTimeoutMs, async () => {
      const left = await kube.evictablePods(node.hostname);
      return left.length > 0 ? `${left.length} pod(s) left` : undefined;
    });
  }

  /**
   * After a failure: a node talform cordoned that has not rebooted since (same boot id) gets uncordoned — its
   * workloads can come back; the action never started or failed before the reboot. Returns whether it is uncordoned.
   * A node that rebooted (or cannot be asked) stays cordoned: it may run a half-finished upgrade.
   */
  async uncordonUnlessRebooted(node: NodePlan, bootIdAtCordon: string | undefined): Promise<boolean> {
    let why: string;
    try {
      const now = await this.client(node).bootId(node.address);
      if (bootIdAtCordon !== undefined && now === bootIdAtCordon) {
        const kube = await this.kube();
        if (kube) {
          await kube.setUnschedulable(node.hostname, false);
          this.info(node.hostname, `uncordoned ${node.hostname}: the rollout failed before it rebooted`);
          return true;
        }
        why = "the Kubernetes API is not reachable";
      } else why = "it rebooted since it was cordoned (it may run a half-finished change)";
    } catch (e) {
      why = `it cannot be reached (${toError(e).message})`;
    }
    this.info(
      node.hostname,
      `${node.hostname} stays cordoned: ${why}; fix it, then \`talform apply --resume\` (or \`kubectl uncordon ${node.hostname}\`)`,
    );
    return false;
  }

  private removal(node: NodePlan): RemovalContext {
    return {
      access: this.o.access,
      otherControlPlanes: () =>
        this.plan.nodes.filter(
          (n) =>
            n.controlPlane &&
            n !== node &&
            this.configured.has(n.hostname) &&
            !n.actions.some((a) => a.type === "remove"),
        ),
      kube: () => this.kube(),
      until: (what, check) => this.until(what, this.healthTimeoutMs, check),
      info: (m) => this.info(node.hostname, m),
    };
  }

  /** etcd: every member healthy (quorum with room for one down); then Talos's own HealthCheck over the cluster. */
  private async clusterHealthy(node: NodePlan): Promise<void> {
    const cps = this.plan.nodes.filter((n) => n.controlPlane && this.configured.has(n.hostname));
    const workers = this.plan.nodes.filter((n) => !n.controlPlane && this.configured.has(n.hostname));
    const client = this.client(node);
    // Both are reads and both must pass: they run at once, an etcd failure is reported first.
    await allChecks([
      (stop) => this.etcdMembersHealthy(stop),
      async (stop) => {
        const lines: string[] = [];
        try {
          for await (const line of client.healthCheck(
            node.address,
            { controlPlaneNodes: cps.map((n) => n.address), workerNodes: workers.map((n) => n.address) },
            { waitTimeoutMs: this.healthTimeoutMs, signal: stop },
          ))
            lines.push(line);
        } catch (e) {
          throw new Error(
            `cluster health check failed: ${toError(e).message}${lines.length > 0 ? ` (last: ${lines.at(-1)})` : ""}`,
            { cause: e },
          );
        }
      },
    ]);
  }

  private async etcdMembersHealthy(stop?: AbortSignal): Promise<void> {
    const cps = this.plan.nodes.filter((n) => n.controlPlane && this.configured.has(n.hostname));
    await this.until(
      "every etcd member to be healthy",
      this.healthTimeoutMs,
      async () => {
        const statuses = await Promise.all(cps.map((cp) => this.client(cp).etcdStatus([cp.address])));
        const i = statuses.findIndex(([s]) => s?.error);
        return i < 0 ? undefined : `${cps[i]!.hostname}: ${statuses[i]![0]!.error!.error.message}`;
      },
      stop,
    );
  }
}

export type { RolloutJournal };

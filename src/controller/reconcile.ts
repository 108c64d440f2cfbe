import {
  assemblePlan,
  createClusterAccess,
  desiredDigest,
  digestText,
  observeCluster,
  type ObservedCluster,
  type Plan,
} from "../plan/index.js";
import { executePlan, StalePlanError, stepsFor, type RolloutEvent, type RolloutResult } from "../rollout/index.js";
import { cliFactoryHttp } from "../rollout/factory-http.js";
import { writeStateFile } from "../util/state-dir.js";
import { TALFORM_VERSION } from "../version.js";
import { join } from "node:path";
import { decide, mergeConditions, type ConditionUpdate } from "./decide.js";
import { readClusterInputs, renderClusterInputs, SpecError } from "./inputs.js";
import { configMapStateStore } from "./journal-store.js";
import type { ClusterEvent, ControllerKube, OwnerRef } from "./kube.js";
import { stepKind, type ControllerMetrics } from "./metrics.js";
import {
  APPROVE_ANNOTATION,
  type Phase,
  type PlanSummary,
  type TalosCluster,
  type TalosClusterStatus,
} from "./types.js";
import { windowProblems, windowState } from "./windows.js";

/** Stops a rollout at a step boundary: the journal says where, the next reconcile (or replica) resumes there. */
export class Interrupted extends Error {
  constructor(
    readonly why: string,
    readonly phase: Phase = "Progressing",
  ) {
    super(why);
    this.name = "Interrupted";
  }
}

export interface ReconcileDeps {
  readonly kube: ControllerKube;
  readonly metrics: ControllerMetrics;
  readonly identity: string;
  /** For the nodes: TALFORM_LOOPBACK_ONLY, TALFORM_IMAGE_FACTORY (the age key never comes from here). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  readonly randomHex: (bytes: number) => string;
  /** Why the rollout must stop at the next step boundary (shutdown, lost lease), or undefined. */
  readonly mustStop: () => string | undefined;
  readonly pollMs?: number;
  /** Where etcd snapshots go before the first control-plane change (absent: none are taken). */
  readonly snapshotDir?: string;
  readonly afterStep?: (cluster: string, stepId: string) => void | Promise<void>;
  readonly log: (line: string) => void;
}

export interface ReconcileOutcome {
  readonly result: string;
  /** When to look again (ms from now); undefined: at the next resync. */
  readonly requeueMs?: number;
}

/** The plan's identity for approval: everything but when and by which talform it was made. */
export function planDigest(plan: Plan): string {
  const { createdAt: _c, tool: _t, ...rest } = plan;
  return digestText(JSON.stringify(rest));
}

/**
 * One reconcile of a TalosCluster: read its inputs, render the desired cluster, observe the nodes, plan (or pick up
 * the unfinished run from the journal), decide, publish status, and apply through the same engine `talform apply`
 * uses (executePlan), journaled in the cluster.
 */
export async function reconcileCluster(tc: TalosCluster, d: ReconcileDeps): Promise<ReconcileOutcome> {
  const ns = tc.metadata.namespace;
  const name = tc.metadata.name;
  const labels = { namespace: ns, cluster: name };
  const owner: OwnerRef = { apiVersion: tc.apiVersion, kind: tc.kind, name, uid: tc.metadata.uid };
  const events = eventSink(d, { ...owner, namespace: ns });
  const status = async (s: Omit<TalosClusterStatus, "conditions">, updates: readonly ConditionUpdate[]) => {
    const conditions = mergeConditions(tc.status?.conditions, updates, d.now(), tc.metadata.generation);
    await d.kube.patchStatus(ns, name, {
      ...s,
      ...(tc.metadata.generation !== undefined ? { observedGeneration: tc.metadata.generation } : {}),
      conditions,
    });
  };
  const policy = tc.spec.rollout ?? {};
  const done = (result: string, requeueMs?: number): ReconcileOutcome => {
    d.metrics.reconciles.inc({ ...labels, result });
    return requeueMs !== undefined ? { result, requeueMs } : { result };
  };

  let loaded;
  try {
    const problems = windowProblems(policy.maintenanceWindows);
    if (problems.length > 0) throw new SpecError(problems);
    loaded = await renderClusterInputs(await readClusterInputs(tc, d.kube), d.env);
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    const decision = decide({ ...base(tc), specProblems: e.findings, resumable: false, window: { open: true } });
    const prev = tc.status?.conditions?.find((x) => x.type === "Degraded");
    if (prev?.message !== e.findings.join("; ")) events.emit("Warning", "InvalidSpec", e.findings.join("; "));
    await status({ phase: decision.phase }, decision.conditions);
    d.metrics.failures.inc({ ...labels, reason: "InvalidSpec" });
    await events.flush();
    return done("invalid");
  }

  const store = configMapStateStore(d.kube, ns, owner);
  const access = createClusterAccess({
    credentials: loaded.credentials,
    controlPlanes: loaded.desired.nodes.filter((n) => n.controlPlane).map((n) => n.address),
    env: d.env,
    retryAttempts: 3,
  });
  try {
    const journal = await store.load();
    const saved = await store.plan();
    const dd = desiredDigest(loaded.desired);
    const run = journal.run;
    const resumable = !!run && !run.finishedAt && !!saved && saved.inputs.desiredDigest === dd && run.planDigest === dd;
    if (run && !run.finishedAt && !resumable) {
      // The spec changed under an unfinished run: its plan no longer applies. Finished steps are real; plan anew.
      delete journal.run;
      await store.save(journal);
      events.emit(
        "Normal",
        "RunSuperseded",
        "the spec changed during a rollout; planning again from what the nodes run",
      );
    }
    const observed = await observeCluster(loaded.desired.nodes, access);
    const plan =
      resumable && saved
        ? saved
        : assemblePlan(loaded.desired, observed, {
            toolVersion: TALFORM_VERSION,
            now: d.now().toISOString(),
            lastApplied: journal.applied,
            talconfig: { path: `taloscluster ${ns}/${name}`, digest: loaded.talconfigDigest },
            offline: policy.offline === true,
          });
    const digest = planDigest(plan);
    const window = windowState(policy.maintenanceWindows, d.now());
    const decision = decide({
      ...base(tc),
      specProblems: [],
      plan: {
        digest,
        changes: plan.summary.changes,
        errors: plan.errors.map((x) => `${x.node ? `${x.node}: ` : ""}${x.message}`),
        removes: plan.nodes.filter((n) => n.actions.some((a) => a.type === "remove")).map((n) => n.hostname),
      },
      resumable,
      window,
    });
    const facts = clusterFacts(loaded.desired.nodes.length, observed);
    const lastPlan = summarize(plan, digest);
    const runInfo = (j = journal) =>
      j.run
        ? {
            planDigest: digest,
            startedAt: j.run.startedAt,
            stepsDone: Object.values(j.run.steps).filter((s) => s.status === "done").length,
            ...(j.run.finishedAt ? { finishedAt: j.run.finishedAt } : {}),
            ...(j.run.failed ? { failed: `${j.run.failed.step}: ${j.run.failed.error}` } : {}),
          }
        : undefined;
    await status(
      { phase: decision.phase, ...facts, lastPlan, ...(runInfo() ? { rollout: runInfo()! } : {}) },
      decision.conditions,
    );
    d.metrics.actionsPending.set(labels, plan.summary.changes);
    if (tc.status?.lastPlan?.digest !== digest && plan.summary.changes > 0)
      events.emit(
        "Normal",
        "Planned",
        `${lastPlan.summary}: ${lastPlan.nodes.map((n) => `${n.node} ${n.actions.join("+")}`).join(", ")}`,
      );
    if (decision.action === "none") {
      await events.flush();
      const wait =
        !window.open && window.opensAt ? Math.max(1000, window.opensAt.getTime() - d.now().getTime()) : undefined;
      return done(decision.phase === "Degraded" ? "plan-errors" : decision.phase.toLowerCase(), wait);
    }

    if (decision.action === "apply") await store.savePlan(plan);
    const lastSteps = new Set(
      plan.nodes.flatMap((n) => {
        const s = stepsFor(n, { gate: false });
        return s.length > 0 ? [s.at(-1)!.id] : [];
      }),
    );
    let result: RolloutResult;
    try {
      result = await executePlan(plan, loaded.desired, {
        access,
        journal: store,
        report: (e) => {
          events.rollout(e);
          if (e.type === "step-done")
            d.metrics.stepDuration.observe({ ...labels, kind: stepKind(e.step) }, e.ms / 1000);
        },
        ...(decision.action === "resume" ? { resume: true } : {}),
        maxParallel: policy.maxParallel ?? 1,
        allowRemove: policy.allowRemove === true,
        factoryHttp: cliFactoryHttp(d.env),
        ...(d.pollMs ? { pollMs: d.pollMs } : {}),
        ...(policy.healthGates?.healthTimeoutSeconds
          ? { healthTimeoutMs: policy.healthGates.healthTimeoutSeconds * 1000 }
          : {}),
        ...(policy.healthGates?.rebootTimeoutSeconds
          ? { rebootTimeoutMs: policy.healthGates.rebootTimeoutSeconds * 1000 }
          : {}),
        now: d.now,
        ...(d.snapshotDir
          ? {
              saveEtcdSnapshot: async (data: Uint8Array) => {
                const path = join(d.snapshotDir!, `${ns}-${name}-${d.now().toISOString().replace(/[:.]/g, "-")}.db`);
                await writeStateFile(path, data);
                return path;
              },
            }
          : {}),
        afterStep: async (stepId) => {
          await d.afterStep?.(name, stepId);
          const stop = d.mustStop();
          if (stop) throw new Interrupted(stop);
          const boundary = lastSteps.has(stepId) || stepId.startsWith("k8s/") || stepId.startsWith("factory/");
          if (boundary && !windowState(policy.maintenanceWindows, d.now()).open)
            throw new Interrupted(
              "the maintenance window closed; the rollout continues in the next one",
              "WaitingForWindow",
            );
        },
      });
    } catch (e) {
      if (e instanceof Interrupted) {
        events.emit("Normal", "RolloutInterrupted", `${e.why}; stopped at a step boundary (the journal says where)`);
        const j = await store.load();
        await status({ phase: e.phase, ...facts, lastPlan, ...(runInfo(j) ? { rollout: runInfo(j)! } : {}) }, [
          { type: "Progressing", status: "False", reason: "Interrupted", message: e.why },
        ]).catch(() => undefined);
        await events.flush();
        return done("interrupted");
      }
      if (e instanceof StalePlanError) {
        const j = await store.load();
        delete j.run;
        await store.save(j);
        events.emit("Warning", "StalePlan", `${e.message}; planning again`);
        d.metrics.failures.inc({ ...labels, reason: "StalePlan" });
        await events.flush();
        return done("stale", 0);
      }
      throw e;
    }
    const j = await store.load();
    if (result.ok) {
      await status({ phase: "Progressing", ...facts, lastPlan, ...(runInfo(j) ? { rollout: runInfo(j)! } : {}) }, [
        { type: "Progressing", status: "False", reason: "RolloutFinished", message: `plan ${digest} applied` },
        { type: "Degraded", status: "False", reason: "RolloutFinished", message: "the last rollout finished" },
      ]);
      await events.flush();
      return done("applied", 0);
    }
    d.metrics.failures.inc({ ...labels, reason: "StepFailed" });
    await status({ phase: "Degraded", ...facts, lastPlan, ...(runInfo(j) ? { rollout: runInfo(j)! } : {}) }, [
      { type: "Degraded", status: "True", reason: "StepFailed", message: result.error ?? "a step failed" },
      {
        type: "Progressing",
        status: "False",
        reason: "StepFailed",
        message: "the rollout stopped at the failed step; it is retried from there",
      },
      { type: "Ready", status: "False", reason: "StepFailed", message: result.error ?? "a step failed" },
    ]);
    await events.flush();
    return done("failed");
  } finally {
    access.close();
  }
}

function base(tc: TalosCluster) {
  const p = tc.spec.rollout ?? {};
  const approved = tc.metadata.annotations?.[APPROVE_ANNOTATION];
  return {
    paused: p.paused === true,
    approval: p.approval ?? "auto",
    ...(approved ? { approved } : {}),
    allowRemove: p.allowRemove === true,
    clusterName: tc.metadata.name,
  } as const;
}

/** What the printer columns show: how many nodes, which Talos and Kubernetes versions run (comma-joined if mixed). */
function clusterFacts(
  nodes: number,
  observed: ObservedCluster,
): Pick<TalosClusterStatus, "nodes" | "talosVersion" | "kubernetesVersion"> {
  const running = observed.nodes.filter((n) => n.reachable && !n.maintenance);
  const distinct = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort().join(",");
  const k8s = distinct(
    running.map((n) => (n.kubernetesVersion ? `v${n.kubernetesVersion.replace(/^v/, "")}` : undefined)),
  );
  return { nodes, talosVersion: distinct(running.map((n) => n.talosVersion)), kubernetesVersion: k8s };
}

function summarize(plan: Plan, digest: string): PlanSummary {
  const short = digest.replace(/^sha256:/, "").slice(0, 12);
  const summary =
    plan.errors.length > 0
      ? `${short}: ${plan.errors.length} error(s)`
      : plan.summary.changes > 0
        ? `${short}: ${plan.summary.changes} change(s)`
        : `${short}: no changes`;
  return {
    digest,
    createdAt: plan.createdAt,
    changes: plan.summary.changes,
    summary,
    nodes: plan.nodes
      .filter((n) => n.actions.length > 0)
      .map((n) => ({
        node: n.hostname,
        actions: n.actions.map((a) => a.type),
        reasons: n.actions
          .map((a) => a.reason)
          .join("; ")
          .slice(0, 500),
      })),
    ...(plan.kubernetes ? { kubernetes: plan.kubernetes.reason } : {}),
    ...(plan.errors.length > 0 ? { errors: plan.errors.map((e) => `${e.node ? `${e.node}: ` : ""}${e.message}`) } : {}),
  };
}

/** Kubernetes Events for a TalosCluster, posted in order, after the fact (a failed post is logged, never fatal). */
function eventSink(d: ReconcileDeps, involved: ClusterEvent["involved"]) {
  let chain: Promise<void> = Promise.resolve();
  const emit = (type: ClusterEvent["type"], reason: string, message: string) => {
    const ev: ClusterEvent = {
      name: `${involved.name}.${d.randomHex(8)}`,
      involved,
      type,
      reason,
      message: message.slice(0, 1000),
      at: d.now(),
      instance: d.identity,
    };
    chain = chain.then(() =>
      d.kube.createEvent(involved.namespace, ev).catch((e: Error) => d.log(`event ${reason}: ${e.message}`)),
    );
  };
  return {
    emit,
    rollout(e: RolloutEvent) {
      switch (e.type) {
        case "rollout-start":
          return emit(
            "Normal",
            e.resumed ? "RolloutResumed" : "RolloutStarted",
            `${e.steps} step(s) on ${e.nodes.join(", ") || "the cluster"}`,
          );
        case "step-start":
          return emit("Normal", "StepStarted", `${e.step}: ${e.label}`);
        case "step-done":
          return emit("Normal", "StepDone", `${e.step}: ${e.label} (${(e.ms / 1000).toFixed(1)} s)`);
        case "step-skip":
          return emit("Normal", "StepSkipped", `${e.step}: ${e.why}`);
        case "step-failed":
          return emit("Warning", "StepFailed", `${e.step}: ${e.error}`);
        case "info":
          return emit("Normal", "Info", `${e.node ? `${e.node}: ` : ""}${e.message}`);
        case "rollout-done":
          return e.ok
            ? emit("Normal", "RolloutFinished", `finished in ${(e.ms / 1000).toFixed(1)} s`)
            : emit("Warning", "RolloutFailed", `stopped at ${e.failedNode ?? "?"}`);
      }
    },
    flush: () => chain,
  };
}

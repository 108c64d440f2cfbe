import type { ControllerKube } from "./kube.js";
import { leaderElector } from "./lease.js";
import type { ControllerMetrics } from "./metrics.js";
import { reconcileCluster, type ReconcileDeps } from "./reconcile.js";
import type { TalosCluster } from "./types.js";

export interface ControllerOptions {
  readonly kube: ControllerKube;
  readonly namespace: string;
  /** This replica's name in the lease and in Events (the pod name in a Deployment). */
  readonly identity: string;
  readonly metrics: ControllerMetrics;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  readonly randomHex: (bytes: number) => string;
  readonly log: (line: string) => void;
  /** How often the TalosClusters are listed and the lease renewed (default 2 s). */
  readonly tickMs?: number;
  /** How often an unchanged TalosCluster is planned again (default 60 s). */
  readonly resyncMs?: number;
  /** Lease duration (default 15 s); renewed every tick. */
  readonly leaseDurationSeconds?: number;
  readonly leaseName?: string;
  readonly pollMs?: number;
  readonly snapshotDir?: string;
  /** Test hook, called after each journaled step. */
  readonly afterStep?: ReconcileDeps["afterStep"];
}

export interface RunningController {
  isLeader(): boolean;
  /** Graceful: running rollouts stop at their next step boundary, the lease is released. */
  stop(): Promise<void>;
  /** Abrupt, like SIGKILL: nothing more is written (not even the lease release); running steps are abandoned. */
  kill(): void;
  readonly stopped: Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
  });

/**
 * The controller: while it holds the lease, every TalosCluster in the namespace is reconciled on its own (a rollout
 * in one does not hold the others up), again when its spec or annotations change, after a finished rollout, and at
 * the resync interval.
 */
export function startController(o: ControllerOptions): RunningController {
  const tickMs = o.tickMs ?? 2000;
  const resyncMs = o.resyncMs ?? 60_000;
  let killed = false;
  let stopping: string | undefined;
  // After kill() every Kubernetes call fails: a killed replica must not write anything more.
  const kube: ControllerKube = new Proxy(o.kube, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== "function") return v;
      return (...args: unknown[]) =>
        killed
          ? Promise.reject(new Error("the controller was killed"))
          : (v as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  const elector = leaderElector({
    kube,
    namespace: o.namespace,
    name: o.leaseName ?? "talform-controller",
    identity: o.identity,
    leaseDurationSeconds: o.leaseDurationSeconds ?? 15,
    now: o.now,
  });
  const running = new Map<string, Promise<void>>();
  const due = new Map<string, { at: number; key: string }>();
  const abort = new AbortController();
  const deps: ReconcileDeps = {
    kube,
    metrics: o.metrics,
    identity: o.identity,
    env: o.env,
    now: o.now,
    randomHex: o.randomHex,
    log: o.log,
    mustStop: () =>
      killed
        ? "the controller was killed"
        : (stopping ?? (elector.isLeader() ? undefined : "this replica lost the leader lease")),
    ...(o.pollMs ? { pollMs: o.pollMs } : {}),
    ...(o.snapshotDir ? { snapshotDir: o.snapshotDir } : {}),
    ...(o.afterStep ? { afterStep: o.afterStep } : {}),
  };
  // What makes a TalosCluster worth a look before its resync: its spec (generation) or its annotations changed.
  const changeKey = (tc: TalosCluster) =>
    `${tc.metadata.generation ?? 0}/${JSON.stringify(tc.metadata.annotations ?? {})}`;

  const schedule = (tc: TalosCluster) => {
    const id = tc.metadata.uid;
    if (running.has(id)) return;
    const now = o.now().getTime();
    const d = due.get(id);
    if (d && d.key === changeKey(tc) && d.at > now) return;
    const p = reconcileCluster(tc, deps)
      .then((r) => {
        due.set(id, { at: o.now().getTime() + Math.min(r.requeueMs ?? resyncMs, resyncMs), key: changeKey(tc) });
      })
      .catch((e: Error) => {
        if (killed) return;
        o.log(`reconcile ${tc.metadata.namespace}/${tc.metadata.name}: ${e.message}`);
        o.metrics.failures.inc({ namespace: tc.metadata.namespace, cluster: tc.metadata.name, reason: "Error" });
        // Back off from a cluster that keeps failing: 5 s, then the resync interval.
        due.set(id, { at: o.now().getTime() + Math.min(5000, resyncMs), key: changeKey(tc) });
      })
      .finally(() => running.delete(id));
    running.set(id, p);
  };

  const loop = async () => {
    while (!killed && !stopping) {
      const leader = await elector.tick();
      o.metrics.leader.set(leader ? 1 : 0);
      if (leader && !killed && !stopping) {
        try {
          for (const tc of await kube.listClusters(o.namespace)) schedule(tc);
        } catch (e) {
          if (!killed) o.log(`listing TalosClusters: ${(e as Error).message}`);
        }
      }
      await sleep(tickMs, abort.signal);
    }
    if (killed) return;
    await Promise.allSettled(running.values());
    await elector.release();
    o.metrics.leader.set(0);
  };
  const stopped = loop();
  return {
    isLeader: () => !killed && elector.isLeader(),
    async stop() {
      stopping ??= "the controller is shutting down";
      abort.abort();
      await stopped;
    },
    kill() {
      killed = true;
      abort.abort();
    },
    stopped,
  };
}

import { readFile } from "node:fs/promises";
import { unwatchFile, watchFile } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createHash, X509Certificate } from "node:crypto";
import { collect, diagnose, expectedNodes, gatherLocalState } from "../doctor/index.js";
import {
  assemblePlan,
  createClusterAccess,
  observeCluster,
  type ClusterAccess,
  type KubeNode,
  type Plan,
} from "../plan/index.js";
import { loadDesiredFromTalconfig, type LoadedDesired } from "../plan/from-talconfig.js";
import { cliFactoryHttp } from "../rollout/factory-http.js";
import {
  eventLogPathFor,
  executePlan,
  fileEventLog,
  fileJournal,
  journalPathFor,
  parseEventLog,
  StalePlanError,
  type RolloutEvent,
} from "../rollout/index.js";
import { createSopsDecryptor } from "../sops/index.js";
import { loadTalconfig } from "../talconfig/index.js";
import { TalosClient } from "../talosapi/index.js";
import { toError } from "../talosapi/client.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { TALFORM_VERSION } from "../version.js";
import {
  clusterView,
  doctorView,
  nodeDetailView,
  planView,
  rolloutView,
  trackReboots,
  type ClusterView,
  type RolloutView,
} from "./model.js";
import type { UiBackend } from "./server.js";

export interface BackendOptions {
  readonly configPath: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secretsFile?: string;
  readonly readOnly: boolean;
  /** Credentials to talk to the nodes with (a talosconfig's); default the admin credentials rendered from secrets. */
  readonly credentials?: { readonly ca: string; readonly crt: string; readonly key: string };
  readonly now?: () => Date;
  /** How old the cached observation may be before a page asks for a new one (default 1.5 s). */
  readonly refreshMs?: number;
  /** Per-call deadline toward the nodes (default 4 s: a page must not hang on a dead node). */
  readonly timeoutMs?: number;
  /** Event-log poll interval (default 200 ms). */
  readonly watchMs?: number;
}

export interface ClusterBackend extends UiBackend {
  close(): void;
}

const targetsOf = (l: LoadedDesired) =>
  l.desired.nodes.map((n) => ({ hostname: n.hostname, address: n.address, controlPlane: n.controlPlane }));

/**
 * The dashboard over a real (or simulated) cluster: the talconfig rendered in memory, the nodes observed through
 * the Talos API, plans assembled and executed by the same plan and rollout stages as `talform plan` / `apply`, and
 * the rollout followed through the event log any apply writes (so rollouts started from the CLI show too).
 */
export async function createClusterBackend(o: BackendOptions): Promise<ClusterBackend> {
  const now = o.now ?? (() => new Date());
  const load = () =>
    loadDesiredFromTalconfig({
      configPath: o.configPath,
      cwd: o.cwd,
      env: o.env,
      ...(o.secretsFile ? { secretsFile: o.secretsFile } : {}),
    });
  let loaded = await load();
  const credentials = o.credentials ?? loaded.credentials;
  const controlPlanes = () => loaded.desired.nodes.filter((n) => n.controlPlane).map((n) => n.address);
  const newAccess = (retryAttempts = 1): ClusterAccess =>
    createClusterAccess({
      credentials,
      controlPlanes: controlPlanes(),
      env: o.env,
      timeoutMs: o.timeoutMs ?? 4000,
      retryAttempts,
    });
  const access = newAccess();
  const journal = fileJournal(journalPathFor(loaded.talconfigPath));
  const eventLog = eventLogPathFor(loaded.talconfigPath);

  // ---- cluster: one observation at a time, shared by every open page ------------------------------------------
  let cached: ClusterView | undefined;
  let cachedAt = 0;
  let inFlight: Promise<ClusterView> | undefined;
  let boots: Record<string, { bootId: string; changedAt?: string }> = {};
  const observe = async (): Promise<ClusterView> => {
    const observed = await observeCluster(targetsOf(loaded), access);
    let kube: KubeNode[] | undefined;
    if (observed.etcdBootstrapped)
      kube = await access.kube().then(
        (k) => k?.nodes(),
        () => undefined,
      );
    const at = now().toISOString();
    boots = trackReboots(boots, observed, at);
    const rebootsSeen = Object.fromEntries(
      Object.entries(boots).flatMap(([h, b]) => (b.changedAt ? [[h, b.changedAt]] : [])),
    );
    cached = clusterView({
      clusterName: loaded.desired.clusterName,
      desired: loaded.desired.nodes,
      observed,
      ...(kube ? { kube } : {}),
      observedAt: at,
      rebootsSeen,
    });
    cachedAt = Date.now();
    return cached;
  };
  const cluster = async (): Promise<ClusterView> => {
    if (cached && Date.now() - cachedAt < (o.refreshMs ?? 1500)) return cached;
    inFlight ??= observe().finally(() => (inFlight = undefined));
    // A page that already has a picture gets it at once; the newer one arrives with its next poll.
    return cached ?? inFlight;
  };

  // ---- rollout: the event log, watched ------------------------------------------------------------------------
  let rollout: RolloutView = rolloutView([]);
  const listeners = new Set<(v: RolloutView) => void>();
  let lastText = "";
  const readLog = async () => {
    const text = await readFile(eventLog, "utf8").catch(() => "");
    if (text === lastText) return;
    lastText = text;
    rollout = rolloutView(parseEventLog(text));
    for (const l of listeners) l(rollout);
  };
  await readLog();
  watchFile(eventLog, { interval: o.watchMs ?? 200, persistent: false }, () => void readLog());

  // ---- plan and apply ------------------------------------------------------------------------------------------
  const plans = new Map<string, Plan>();
  let applying: Promise<unknown> | undefined;
  const plan = async () => {
    loaded = await load(); // the talconfig may have changed since the last page
    const observed = await observeCluster(targetsOf(loaded), access);
    const p = assemblePlan(loaded.desired, observed, {
      toolVersion: TALFORM_VERSION,
      now: now().toISOString(),
      lastApplied: (await journal.load()).applied,
      talconfig: {
        path: relative(o.cwd, loaded.talconfigPath) || loaded.talconfigPath,
        digest: loaded.talconfigDigest,
      },
    });
    const id = createHash("sha256").update(JSON.stringify(p)).digest("hex").slice(0, 24);
    plans.clear(); // only the plan on the newest page can be applied
    plans.set(id, p);
    return { id, view: planView(p) };
  };

  const apply: UiBackend["apply"] = async (planId) => {
    if (o.readOnly) return { started: false, reason: "this dashboard is read-only" };
    const p = plans.get(planId);
    if (!p)
      return { started: false, reason: "that plan is not the latest one this dashboard made", hint: "plan again" };
    if (applying || rollout.state === "running") {
      return {
        started: false,
        reason: "a rollout is already running (or was interrupted)",
        hint: "watch it on the Rollout page; an interrupted one continues with talform apply --resume",
      };
    }
    let current: LoadedDesired;
    try {
      current = await load();
    } catch (e) {
      return { started: false, reason: toError(e).message };
    }
    const runAccess = newAccess(3);
    const log = fileEventLog(eventLogPathFor(current.talconfigPath), now);
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    const report = (e: RolloutEvent) => {
      log(e);
      if (e.type === "rollout-start") started();
    };
    const dir = dirname(current.talconfigPath);
    const run = executePlan(p, current.desired, {
      access: runAccess,
      journal,
      report,
      // The same network to the Image Factory as the CLI's apply (register-schematic steps).
      factoryHttp: cliFactoryHttp(o.env),
      saveEtcdSnapshot: async (data) => {
        const stamp = now().toISOString().replace(/[:.]/g, "-");
        const path = join(dir, ".talform", "etcd-snapshots", `${p.clusterName}-${stamp}.db`);
        await writeFileAtomic(path, data, { mode: 0o600 });
        return relative(o.cwd, path) || path;
      },
    });
    applying = run
      .catch(() => undefined)
      .finally(() => {
        runAccess.close();
        applying = undefined;
        plans.delete(planId);
      });
    // The stale-plan check runs before any change: wait for it to pass (rollout-start) or to refuse.
    const outcome = await Promise.race([
      startedP.then(() => undefined),
      run.then(
        () => undefined,
        (e: unknown) => e,
      ),
    ]);
    if (outcome === undefined) return { started: true };
    if (outcome instanceof StalePlanError)
      return { started: false, reason: outcome.message, hint: "plan again and review the new plan" };
    return { started: false, reason: toError(outcome).message };
  };

  // ---- doctor --------------------------------------------------------------------------------------------------
  const doctor = async () => {
    const decryptor = createSopsDecryptor({ ...o.env });
    const talconfig = await loadTalconfig({ path: loaded.talconfigPath, env: o.env, decryptor });
    const expected = expectedNodes(talconfig);
    const rendered = new Map(loaded.desired.nodes.map((n) => [n.hostname, n.configText]));
    const local = await gatherLocalState({
      cwd: o.cwd,
      talconfig,
      expected,
      decryptor,
      ...(o.secretsFile ? { secretsFile: o.secretsFile } : {}),
      renderNode: async (h) => {
        const t = rendered.get(h);
        if (t === undefined) throw new Error(`no rendered config for ${h}`);
        return t;
      },
    });
    const client = new TalosClient({
      endpoints: controlPlanes(),
      nodes: expected.map((e) => e.address),
      credentials: { kind: "mtls", ...credentials },
      env: o.env,
      timeoutMs: o.timeoutMs ?? 4000,
      retryAttempts: 1,
    });
    try {
      const observation = await collect(client, client.nodes, {
        logs: true,
        kubernetes: true,
        env: o.env,
        controlPlanes: controlPlanes(),
      });
      const findings = diagnose({ observation, expected, local, now: now() });
      return doctorView(findings, local.notes ?? []);
    } finally {
      client.close();
    }
  };

  // ---- node ----------------------------------------------------------------------------------------------------
  // Log chunks are pieces of one text; each kernel message is a line of its own (as `talform dmesg` prints them).
  const readStream = async (s: AsyncIterable<Uint8Array>, separator: string): Promise<string> => {
    let out = "";
    for await (const chunk of s) out += Buffer.from(chunk).toString("utf8") + separator;
    return out;
  };
  const node: UiBackend["node"] = async (hostname, service) => {
    const d = loaded.desired.nodes.find((n) => n.hostname === hostname);
    if (!d) return undefined;
    const client = access.secure(d.address);
    const obs = await collect(client, [d.address], { env: o.env });
    const n = obs.nodes[0];
    const services = (n?.services ?? []).map((s) => s.id);
    const logService =
      service && services.includes(service)
        ? service
        : services.includes("kubelet")
          ? "kubelet"
          : (services[0] ?? "machined");
    const signal = () => AbortSignal.timeout(o.timeoutMs ?? 4000);
    const [logs, kernel] = await Promise.all([
      readStream(client.logs(d.address, logService, { tail: 200, signal: signal() }), "").catch(
        (e: unknown) => `(logs: ${toError(e).message})`,
      ),
      readStream(client.dmesg(d.address, { signal: signal() }), "\n").catch(
        (e: unknown) => `(kernel log: ${toError(e).message})`,
      ),
    ]);
    const error = n?.unreachable ?? (n?.errors?.length ? n.errors.join("; ") : undefined);
    return {
      view: nodeDetailView({
        hostname,
        address: d.address,
        ...(error ? { error } : {}),
        ...(n?.services ? { services: n.services } : {}),
        ...(n?.extensions ? { extensions: n.extensions } : {}),
        logService,
        logs,
        kernel,
      }),
      services,
    };
  };

  return {
    get clusterName() {
      return loaded.desired.clusterName;
    },
    readOnly: o.readOnly,
    cluster,
    plan,
    apply,
    rollout: () => rollout,
    onRollout(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    doctor,
    node,
    close() {
      unwatchFile(eventLog);
      plans.clear();
      access.close();
    },
  };
}

/** The roles (subject O=) of a client certificate, as Talos reads them. */
export function certificateRoles(pem: string): string[] {
  const subject = new X509Certificate(pem).subject;
  return subject.split("\n").flatMap((l) => (l.startsWith("O=") ? l.slice(2).split("+") : []));
}

/** Apply is offered only to an admin: os:reader (and os:operator, which cannot apply a config) get a read-only UI. */
export function readOnlyForRoles(roles: readonly string[]): boolean {
  return roles.length > 0 && !roles.includes("os:admin");
}

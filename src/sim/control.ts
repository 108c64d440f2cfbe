import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, rm } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { renderTalosconfig } from "../talosapi/talosconfig.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { startFleet, type Fleet, type FleetOptions } from "./cluster.js";
import { validateFleetSpec, type FleetSpec } from "./spec.js";
import { makeClientCert, makeOsCA } from "./certs.js";
import { parseFactoryFault, SimImageFactory, type FactoryRequestLog } from "./factory.js";

/**
 * A running simulator owned by one process, controlled through a unix socket in its state directory so that
 * `talform sim status|fault|down` (other processes) can reach it. The state dir also receives an admin talosconfig.
 */
export interface NodeStatus {
  readonly hostname: string;
  readonly address: string;
  readonly controlPlane: boolean;
  readonly version: string;
  readonly stage: string;
  readonly extensions: readonly string[];
  readonly bootId: string;
}

export interface FactoryStatus {
  readonly url: string;
  readonly registered: readonly string[];
  readonly requests: readonly FactoryRequestLog[];
}

export type ControlRequest = { cmd: "status" } | { cmd: "fault"; node: string; fault: string } | { cmd: "stop" };
export type ControlResponse =
  | { ok: true; nodes?: NodeStatus[]; factory?: FactoryStatus; pid?: number; leftOpen?: string[] }
  | { ok: false; error: string };

/** The node name `talform sim fault` uses for the simulated Image Factory. */
export const FACTORY_NODE = "factory";
export const factoryFilePath = (stateDir: string) => join(stateDir, "factory.json");

/** How long a stop may take before the simulator gives up on what is still open and reports it. */
export const STOP_TIMEOUT_MS = 5000;

export const socketPath = (stateDir: string) => join(stateDir, "sim.sock");

/**
 * Reads a fleet spec file (JSON or YAML). `osCA` may be omitted: a throwaway CA is then generated in memory for this
 * run (never written to disk; the talosconfig written by `runSimulator` is the only credential on disk, 0600).
 */
export async function loadSpecFile(path: string): Promise<FleetSpec> {
  const raw = parseYaml(await readFile(path, "utf8")) as Record<string, unknown>;
  if (raw && typeof raw === "object" && raw["osCA"] === undefined) raw["osCA"] = await makeOsCA();
  return validateFleetSpec(raw);
}

export interface RunningSimulator {
  readonly fleet: Fleet;
  readonly talosconfigPath: string;
  readonly factory: SimImageFactory;
  /** Resolves when stopped (by `stop()`, a `stop` control request, or a signal handled by the caller). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  /** What the last stop could not close within STOP_TIMEOUT_MS (empty when everything closed). */
  leftOpen(): string[];
}

export interface SimulatorOptions extends FleetOptions {
  readonly stateDir: string;
  /** Where the simulated Image Factory listens (default 127.0.0.1 on a free port). */
  readonly factoryListen?: { readonly host: string; readonly port: number };
}

export async function runSimulator(spec: FleetSpec, options: SimulatorOptions): Promise<RunningSimulator> {
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const sock = socketPath(options.stateDir);
  if (existsSync(sock)) {
    const alive = await sendControl(options.stateDir, { cmd: "status" }).then(
      () => true,
      () => false,
    );
    if (alive)
      throw new Error(
        `a simulator is already running for ${options.stateDir}; run \`talform sim down --state-dir ${options.stateDir}\` first`,
      );
    await rm(sock, { force: true });
  }
  const factoryLog = join(options.stateDir, "factory.log");
  await writeFileAtomic(factoryLog, "", { mode: 0o600 });
  const factory = new SimImageFactory(
    (r) => void appendFile(factoryLog, `${r.at} ${r.method} ${r.path} ${r.status}\n`).catch(() => undefined),
  );
  await factory
    .start(options.factoryListen?.host ?? "127.0.0.1", options.factoryListen?.port ?? 0)
    .catch((e: Error) => {
      throw new Error(
        `the simulated image factory cannot listen on ${options.factoryListen?.host ?? "127.0.0.1"}:${options.factoryListen?.port ?? 0}: ${e.message}`,
      );
    });
  factory.preload(spec.schematics ?? {});
  await writeFileAtomic(
    factoryFilePath(options.stateDir),
    JSON.stringify({ url: factory.url, registryURL: factory.registryURL, log: factoryLog }, null, 2) + "\n",
    { mode: 0o600 },
  );
  const fleet = await startFleet(spec, { ...options, imageFactory: factory }).catch(async (e: unknown) => {
    await factory.stop();
    throw e;
  });
  const admin = await makeClientCert(spec.osCA, ["os:admin"]);
  const endpoints = fleet.nodes.filter((n) => n.spec.controlPlane).map((n) => endpointOf(n.address, n.spec.port));
  const talosconfigPath = join(options.stateDir, "talosconfig");
  await writeFileAtomic(
    talosconfigPath,
    renderTalosconfig(spec.clusterName, {
      endpoints: endpoints.length > 0 ? endpoints : [endpointOf(fleet.nodes[0]!.address, fleet.nodes[0]!.spec.port)],
      nodes: fleet.nodes.map((n) => n.address),
      ca: spec.osCA.crt,
      crt: admin.crt,
      key: admin.key,
    }),
    { mode: 0o600 },
  );
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  // Bounded: a connection a client keeps open (a talosctl stream, a Kubernetes watch) must not keep the simulator
  // alive; whatever has not closed after STOP_TIMEOUT_MS is reported (`leftOpen`) and the process exits anyway.
  let leftOpen: string[] = [];
  const stop = () =>
    (stopping ??= (async () => {
      const closedControl = new Promise<void>((r) => server.close(() => r()));
      const timedOut = Symbol("timeout");
      const result = await Promise.race([
        fleet.stop().then(() => undefined),
        new Promise<typeof timedOut>((r) => setTimeout(() => r(timedOut), STOP_TIMEOUT_MS).unref()),
      ]);
      if (result === timedOut) leftOpen = fleet.openHandles();
      await factory.stop();
      await rm(sock, { force: true });
      await rm(factoryFilePath(options.stateDir), { force: true });
      resolveDone();
      await Promise.race([closedControl, new Promise((r) => setTimeout(r, 1000).unref())]);
    })());
  const server: Server = createServer((conn) => {
    let buf = "";
    conn.on("data", async (d) => {
      buf += d.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      let res: ControlResponse;
      let stopAfter = false;
      try {
        const req = JSON.parse(buf.slice(0, nl)) as ControlRequest;
        const factoryStatus = () => ({
          url: factory.url,
          registered: factory.registered(),
          requests: factory.requests,
        });
        if (req.cmd === "status")
          res = { ok: true, nodes: statusOf(fleet), factory: factoryStatus(), pid: process.pid };
        else if (req.cmd === "fault" && req.node === FACTORY_NODE) {
          await factory.fault(parseFactoryFault(req.fault));
          res = { ok: true, nodes: statusOf(fleet), factory: factoryStatus() };
        } else if (req.cmd === "fault") {
          fleet.fault(req.node, req.fault);
          res = { ok: true, nodes: statusOf(fleet) };
        } else if (req.cmd === "stop") {
          res = { ok: true, pid: process.pid };
          stopAfter = true;
        } else res = { ok: false, error: "unknown request" };
      } catch (e) {
        res = { ok: false, error: (e as Error).message };
      }
      conn.end(JSON.stringify(res) + "\n", () => {
        if (stopAfter) void stop();
      });
    });
    conn.on("error", () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(sock, () => resolve());
  }).catch(async (e: Error) => {
    await fleet.stop();
    await factory.stop();
    throw new Error(`cannot open the control socket ${sock}: ${e.message} (use a shorter --state-dir path)`);
  });
  return { fleet, talosconfigPath, factory, done, stop, leftOpen: () => leftOpen };
}

function endpointOf(address: string, port: number | undefined): string {
  return port && port !== 50000 ? `${address}:${port}` : address;
}

export function statusOf(fleet: Fleet): NodeStatus[] {
  return fleet.nodes.map((n) => ({
    hostname: n.hostname,
    address: n.address,
    controlPlane: n.controlPlane,
    version: n.talosVersion,
    stage: n.stage,
    extensions: n.visibleExtensions(),
    bootId: n.bootId,
  }));
}

export function sendControl(stateDir: string, req: ControlRequest, timeoutMs = 5000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socketPath(stateDir));
    let buf = "";
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error("the simulator did not answer"));
    }, timeoutMs);
    conn.on("connect", () => conn.write(JSON.stringify(req) + "\n"));
    conn.on("data", (d) => (buf += d.toString("utf8")));
    conn.on("end", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf) as ControlResponse);
      } catch {
        reject(new Error("malformed answer from the simulator"));
      }
    });
    conn.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`no simulator is running for ${stateDir} (${(e as NodeJS.ErrnoException).code ?? e.message})`));
    });
  });
}

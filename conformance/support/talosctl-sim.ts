// Runs the real talosctl (the conformance oracle) against a `talform sim up` child process on loopback, the way a new
// user would: `talosctl gen secrets` + `gen config` make the cluster's secrets and configs, the simulator is started
// with that OS CA, so talosctl's own talosconfig works against it. Role talosconfigs (os:reader, os:operator,
// os:etcd:backup) carry client certificates issued from the same CA.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { makeClientCert } from "../../src/sim/certs.js";
import { socketPath } from "../../src/sim/control.js";
import { renderTalosconfig } from "../../src/talosapi/talosconfig.js";
import { oraclePath, repoRoot, runOracle, type OracleResult } from "./oracles.js";

export type TalosRole = "os:admin" | "os:operator" | "os:reader" | "os:etcd:backup";

export interface SimNodeSpecLite {
  readonly hostname: string;
  readonly address: string;
  readonly controlPlane: boolean;
  readonly talosVersion: string;
}

export interface TalosctlSim {
  readonly dir: string;
  readonly stateDir: string;
  /** controlplane.yaml / worker.yaml from `talosctl gen config`. */
  readonly configs: { readonly controlplane: string; readonly worker: string };
  /** Runs talosctl with the talosconfig of `role` (default os:admin, talosctl's own from `gen config`). */
  talosctl(
    args: readonly string[],
    opts?: { role?: TalosRole; timeoutMs?: number; input?: string; env?: Record<string, string> },
  ): Promise<OracleResult>;
  /** Runs a talosctl command that streams until interrupted (events, --watch): SIGINT after `ms`, its output. */
  talosctlUntil(args: readonly string[], ms: number): Promise<OracleResult>;
  /** Runs `talform` (the CLI under test) in the same folder. */
  talform(args: readonly string[], timeoutMs?: number): Promise<OracleResult>;
  /** What `talform sim up` printed so far (stdout and stderr). */
  log(): string;
  /** The `talform sim up` process. */
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

const TALFORM = join(repoRoot, "bin", "talform.js");

function run(cmd: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<OracleResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, TALFORM_LOOPBACK_ONLY: "1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

function runUntil(cmd: string, args: readonly string[], cwd: string, ms: number): Promise<OracleResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const interrupt = setTimeout(() => child.kill("SIGINT"), ms);
    const kill = setTimeout(() => child.kill("SIGKILL"), ms + 10_000);
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

/** `talosctl gen secrets` → OS CA → fleet spec → `talform sim up` (child process) → role talosconfigs. */
export async function startTalosctlSim(
  clusterName: string,
  nodes: readonly SimNodeSpecLite[],
  timeScale = 0.02,
  /** The contract `talosctl gen config --talos-version` writes the configs for. */
  configContract = "v1.13",
): Promise<TalosctlSim> {
  const dir = await mkdtemp(join(tmpdir(), "talform-talosctl-"));
  const stateDir = join(dir, "st");
  const ctl = (args: readonly string[], env: Record<string, string> = {}, timeoutMs = 120_000, input?: string) =>
    runOracle("talosctl", args, {
      cwd: dir,
      env: { TALOSCONFIG: join(dir, "talosconfig"), ...env },
      timeoutMs,
      ...(input !== undefined ? { input } : {}),
    });
  const must = (r: OracleResult, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  };
  must(await ctl(["gen", "secrets", "-o", "secrets.yaml"]), "talosctl gen secrets");
  const endpoint = `https://${nodes.find((n) => n.controlPlane)!.address}:6443`;
  must(
    await ctl([
      "gen",
      "config",
      clusterName,
      endpoint,
      "--with-secrets",
      "secrets.yaml",
      "--install-disk",
      "/dev/sda",
      "--talos-version",
      configContract,
    ]),
    "talosctl gen config",
  );
  const secrets = parse(await readFile(join(dir, "secrets.yaml"), "utf8")) as {
    certs: { os: { crt: string; key: string } };
  };
  const osCA = {
    crt: Buffer.from(secrets.certs.os.crt, "base64").toString("utf8"),
    key: Buffer.from(secrets.certs.os.key, "base64").toString("utf8"),
  };
  const endpoints = nodes.filter((n) => n.controlPlane).map((n) => n.address);
  // talosctl's talosconfig from gen config points at the control plane endpoint; give it the simulated ones.
  const tc = parse(await readFile(join(dir, "talosconfig"), "utf8")) as {
    contexts: Record<string, { endpoints: string[]; nodes?: string[] }>;
  };
  tc.contexts[clusterName]!.endpoints = endpoints;
  tc.contexts[clusterName]!.nodes = [endpoints[0]!];
  await writeFile(join(dir, "talosconfig"), stringify(tc), { mode: 0o600 });
  for (const role of ["os:operator", "os:reader", "os:etcd:backup"] as const) {
    const cert = await makeClientCert(osCA, [role]);
    await writeFile(
      join(dir, `talosconfig-${role.replace(/:/g, "-")}`),
      renderTalosconfig(clusterName, { endpoints, nodes: [endpoints[0]!], ca: osCA.crt, crt: cert.crt, key: cert.key }),
      { mode: 0o600 },
    );
  }
  await writeFile(join(dir, "fleet.yaml"), stringify({ clusterName, osCA, nodes: nodes.map((n) => ({ ...n })) }), {
    mode: 0o600,
  });
  const child = spawn(
    process.execPath,
    [
      TALFORM,
      "sim",
      "up",
      "--spec",
      "fleet.yaml",
      "--state-dir",
      stateDir,
      "--time-scale",
      String(timeScale),
      "--seed",
      "1",
    ],
    {
      cwd: dir,
      env: { ...process.env, TALFORM_LOOPBACK_ONLY: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  child.stdout!.on("data", (c: Buffer) => (log += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on("exit", (code, signal) => r({ code, signal })),
  );
  const deadline = Date.now() + 30_000;
  while (!existsSync(socketPath(stateDir)) || !/ready/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`talform sim up did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const sim: TalosctlSim = {
    dir,
    stateDir,
    configs: { controlplane: join(dir, "controlplane.yaml"), worker: join(dir, "worker.yaml") },
    process: child,
    exited,
    log: () => log,
    talosctl: (args, opts = {}) => {
      const role = opts.role ?? "os:admin";
      const talosconfig =
        role === "os:admin" ? join(dir, "talosconfig") : join(dir, `talosconfig-${role.replace(/:/g, "-")}`);
      return ctl([...args, "--talosconfig", talosconfig], opts.env ?? {}, opts.timeoutMs ?? 60_000, opts.input);
    },
    talosctlUntil: (args, ms) =>
      runUntil(oraclePath("talosctl"), [...args, "--talosconfig", join(dir, "talosconfig")], dir, ms),
    talform: (args, timeoutMs = 60_000) => run(process.execPath, [TALFORM, ...args], dir, timeoutMs),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await run(process.execPath, [TALFORM, "sim", "down", "--state-dir", stateDir], dir, 30_000);
        const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  return sim;
}

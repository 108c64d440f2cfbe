import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { resolve, join } from "node:path";
import type { Command } from "commander";
import { TalformError } from "../../diagnostics/index.js";
import type { CliContext } from "../context.js";
import type { FactoryStatus, NodeStatus } from "../../sim/control.js";
import type { FleetSpec } from "../../sim/index.js";
import type { SopsDecryptor } from "../../talconfig/index.js";
import { hiddenAlias } from "../aliases.js";
import type { CommandDefiner } from "./index.js";

/** In the state folder beside talconfig.yaml: the admin talosconfig there holds a client key. */
const DEFAULT_STATE_DIR = ".talform/sim";
/** Where talhelper users keep the secrets bundle, beside talconfig.yaml (first match wins). */
const SECRET_FILES = ["talsecret.sops.yaml", "talsecret.yaml", "talsecret.sops.yml", "talsecret.yml"];

export const defineSim: CommandDefiner = (program, ctx) => {
  const sim = program.command("sim").description("simulated Talos nodes on loopback addresses (for demos and tests)");
  const stateDir = (o: { stateDir?: string }) => resolve(ctx.cwd, o.stateDir ?? DEFAULT_STATE_DIR);
  const subs: Command[] = [];

  subs.push(
    hiddenAlias(
      sim
        .command("up")
        .description(
          "start one simulated node per talconfig node on its 127.x address, port 50000, in maintenance mode",
        )
        .option(
          "-c, --config <file>",
          "talconfig.yaml whose nodes to simulate (every ipAddress must be 127.x); the OS CA comes from the SOPS-encrypted secrets beside it",
          "talconfig.yaml",
        )
        .option(
          "--env-file <file>",
          "env file for ${VAR} substitution (repeatable; default talenv.yaml, talenv.sops.yaml, … beside the talconfig)",
          (v: string, p: string[]) => [...p, v],
          [],
        )
        .option(
          "-s, --secrets <file>",
          `secrets bundle (SOPS-encrypted; default the first of ${SECRET_FILES.join(", ")} beside the talconfig)`,
        )
        .option(
          "--spec <file>",
          "instead of a talconfig: a fleet spec (YAML/JSON): clusterName, nodes[{hostname,address,controlPlane,talosVersion,schematicId?}], schematics?, osCA? (PEM; a throwaway CA is generated when absent)",
        )
        .option(
          "--state-dir <dir>",
          `where the control socket, log and admin talosconfig live (default ${DEFAULT_STATE_DIR})`,
        )
        .option(
          "--time-scale <factor>",
          "multiply every simulated duration (1 = a reboot takes ~3 s)",
          (v) => Number(v),
          1,
        )
        .option("--seed <n>", "seed for boot ids, actor ids and etcd member ids", (v) => Number.parseInt(v, 10), 1)
        .option("--detach", "run in the background and return once the nodes listen"),
      "--secret-file <file>",
      "secrets",
    ).action(
      async (o: {
        config: string;
        envFile: string[];
        secrets?: string;
        spec?: string;
        stateDir?: string;
        timeScale: number;
        seed: number;
        detach?: boolean;
      }) => {
        const dir = stateDir(o);
        const { ensureStateGitignoreFor } = await import("../../util/state-dir.js");
        await ensureStateGitignoreFor(join(dir, "talosconfig"));
        if (o.detach) return detach(ctx, dir);
        const { loadSpecFile, runSimulator, STOP_TIMEOUT_MS } = await import("../../sim/control.js");
        const { spec, factoryListen } = o.spec
          ? {
              spec: await loadSpecFile(resolve(ctx.cwd, o.spec)).catch((e: Error) => {
                throw new TalformError(`${o.spec}: ${e.message}`, { code: "sim-spec" });
              }),
              factoryListen: undefined,
            }
          : await fleetSpecFromTalconfigFile(ctx, o);
        const running = await runSimulator(spec, {
          stateDir: dir,
          timeScale: o.timeScale,
          seed: o.seed,
          ...(factoryListen ? { factoryListen } : {}),
        }).catch((e: Error) => {
          throw new TalformError(e.message, { code: "sim" });
        });
        const nodeLines = running.fleet.nodes.map(
          (n) =>
            `  ${n.spec.hostname}  ${n.address}:${n.spec.port ?? 50000}  ${n.talosVersion}  ${n.spec.controlPlane ? "controlplane" : "worker"}`,
        );
        ctx.stdout.write(
          `simulated nodes in maintenance mode:\n${nodeLines.join("\n")}\n` +
            `talosconfig: ${running.talosconfigPath}\n` +
            `image factory: ${running.factory.url} (${factoryListen ? "the talconfig's imageFactory" : `point talform at it: export TALFORM_IMAGE_FACTORY=${running.factory.url}`}; ` +
            `the nodes pull installers only for schematics registered with it)\nready\n`,
        );
        const onSignal = () => void running.stop();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        await running.done;
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        const left = running.leftOpen();
        if (left.length > 0) {
          ctx.stderr.write(
            `warning: still open after ${STOP_TIMEOUT_MS / 1000} s, closed by exiting: ${left.join("; ")}\n`,
          );
          // A client holding a connection open must not keep the simulator alive: `sim down` means down.
          process.exit(0);
        }
      },
    ),
  );

  subs.push(
    sim
      .command("down")
      .description("stop the simulator of a state dir; nothing keeps listening afterwards")
      .option("--state-dir <dir>", `state dir (default ${DEFAULT_STATE_DIR})`)
      .action(async (o: { stateDir?: string }) => {
        const { sendControl, socketPath } = await import("../../sim/control.js");
        const dir = stateDir(o);
        const r = await control(() => sendControl(dir, { cmd: "stop" }));
        // "Stopped" only once the simulator's process is gone: its stop is bounded (STOP_TIMEOUT_MS), so waiting
        // a little longer than that either sees it exit or names what is left.
        const reported = (r as { pid?: number }).pid;
        // A simulator in this very process (the library, tests) cannot be waited for by pid: its socket tells.
        const pid = reported === process.pid ? undefined : reported;
        const alive = () => {
          if (pid === undefined) return existsSync(socketPath(dir));
          try {
            process.kill(pid, 0);
            return true;
          } catch {
            return false;
          }
        };
        for (let i = 0; i < 200 && alive(); i++) await new Promise((res) => setTimeout(res, 50));
        if (alive()) {
          throw new TalformError(`the simulator (${pid ? `pid ${pid}` : "in this process"}) did not stop within 10 s`, {
            code: "sim-stop",
            ...(pid
              ? { hint: `stop it with \`kill ${pid}\` (or \`kill -9 ${pid}\`); its output says what stayed open` }
              : {}),
          });
        }
        ctx.stdout.write("simulator stopped\n");
      }),
  );

  subs.push(
    sim
      .command("status")
      .description("show each simulated node's stage, version and extensions")
      .option("--state-dir <dir>", `state dir (default ${DEFAULT_STATE_DIR})`)
      .option("--json", "print JSON")
      .action(async (o: { stateDir?: string; json?: boolean }) => {
        const { sendControl } = await import("../../sim/control.js");
        const r = await control(() => sendControl(stateDir(o), { cmd: "status" }));
        printStatus(ctx, r.nodes ?? [], o.json ?? false);
        const f = (r as { factory?: FactoryStatus }).factory;
        if (f && !o.json) {
          ctx.stdout.write(
            `image factory ${f.url}: ${f.registered.length} schematic(s) registered; ${f.requests.length} request(s)\n`,
          );
          for (const q of f.requests.slice(-10)) ctx.stdout.write(`  ${q.at} ${q.method} ${q.path} ${q.status}\n`);
        }
      }),
  );

  subs.push(
    sim
      .command("fault")
      .description(
        'inject a fault (node "factory": refuse=SCHEMATIC_ID_PREFIX|all, down, clear): reboot-hang, slow-reboot=SECONDS, rollback-on-upgrade, apply-reject, unavailable=SECONDS, etcd-unhealthy, drop-extension=NAME, clear',
      )
      .argument("<node>", "hostname or address")
      .argument("<fault>", "the fault")
      .option("--state-dir <dir>", `state dir (default ${DEFAULT_STATE_DIR})`)
      .action(async (node: string, fault: string, o: { stateDir?: string }) => {
        const { sendControl } = await import("../../sim/control.js");
        await control(() => sendControl(stateDir(o), { cmd: "fault", node, fault }));
        ctx.stdout.write(`fault ${fault} injected into ${node}\n`);
      }),
  );

  for (const c of [sim, ...subs])
    c.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) }).exitOverride();
};

async function control<T extends { ok: boolean }>(fn: () => Promise<T>): Promise<T & { nodes?: NodeStatus[] }> {
  const r = await fn().catch((e: Error) => {
    throw new TalformError(e.message, { code: "sim", hint: "start one with `talform sim up -c talconfig.yaml`" });
  });
  if (!r.ok) throw new TalformError((r as unknown as { error: string }).error, { code: "sim" });
  return r as T & { nodes?: NodeStatus[] };
}

function printStatus(ctx: CliContext, nodes: readonly NodeStatus[], json: boolean): void {
  if (json) {
    ctx.stdout.write(JSON.stringify(nodes, null, 2) + "\n");
    return;
  }
  const rows = [
    ["HOSTNAME", "ADDRESS", "ROLE", "VERSION", "STAGE", "EXTENSIONS"],
    ...nodes.map((n) => [
      n.hostname,
      n.address,
      n.controlPlane ? "controlplane" : "worker",
      n.version,
      n.stage,
      n.extensions.join(",") || "-",
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  ctx.stdout.write(
    rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("   ")).join("\n") + "\n",
  );
}

/** Re-runs this CLI as a detached child (same node flags, e.g. tsx) and waits for its "ready" line in the log. */
async function detach(ctx: CliContext, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logPath = join(dir, "sim.log");
  const log = openSync(logPath, "w", 0o600);
  const args = process.argv.slice(2).filter((a) => a !== "--detach");
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    cwd: ctx.cwd,
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, ...ctx.env },
  });
  child.unref();
  for (let i = 0; i < 600; i++) {
    const text = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    if (/^ready$/m.test(text)) {
      ctx.stdout.write(
        text.replace(/^ready\n?/m, "") +
          `running in the background (pid ${child.pid}); stop with \`talform sim down\`\n`,
      );
      return;
    }
    if (child.exitCode !== null || /^error/m.test(text))
      throw new TalformError(`the simulator failed to start:\n${text}`, { code: "sim" });
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new TalformError(`the simulator did not become ready; see ${logPath}`, { code: "sim" });
}

/**
 * The fleet of a talconfig: one simulated node per talconfig node on its (loopback) address, the cluster's OS CA from
 * the SOPS-encrypted secrets bundle (decrypted in memory only), and each node's installer schematic with its
 * extensions, so the nodes boot with them and an upgrade to another node's installer image resolves its schematic.
 */
async function fleetSpecFromTalconfigFile(
  ctx: CliContext,
  o: { config: string; envFile: string[]; secrets?: string },
): Promise<{ spec: FleetSpec; factoryListen: { host: string; port: number } | undefined }> {
  const { loadFactoryView, sopsDecryptor } = await import("./talconfig-input.js");
  const { view, loaded } = await loadFactoryView(ctx, { config: o.config, envFile: o.envFile });
  const notLoopback = loaded.nodes.flatMap((n) =>
    n.ipAddresses.filter((ip) => !(isIP(ip) === 4 && ip.startsWith("127."))).map((ip) => ({ n, ip })),
  );
  if (notLoopback.length > 0) {
    throw new TalformError(`the simulator only listens on loopback addresses (127.0.0.0/8)`, {
      diagnostics: notLoopback.map(({ n, ip }) => ({
        severity: "error" as const,
        code: "sim-not-loopback",
        message: `ipAddress ${ip} is not a loopback address (127.0.0.0/8)`,
        hint: "simulate with a copy of talconfig.yaml whose nodes use 127.x addresses, e.g. 127.0.10.1",
        path: `nodes[${n.index}].ipAddress`,
        source: loaded.sourceMap?.positionOf(["nodes", n.index, "ipAddress"]) ?? n.source,
        node: n.hostname,
      })),
    });
  }
  const osCA = await clusterOsCA(ctx, loaded.dir, o.secrets, await sopsDecryptor(ctx));
  const { schematicId } = await import("../../factory/index.js");
  const { fleetSpecFromTalconfig } = await import("../../sim/index.js");
  const schematics: Record<string, string[]> = {};
  const nodes = view.nodes.map((n) => {
    const id = schematicId(n.schematic ?? {});
    schematics[id] = [...(n.schematic?.customization?.systemExtensions?.officialExtensions ?? [])];
    return {
      hostname: n.hostname,
      ipAddress: n.ipAddress,
      controlPlane: n.controlPlane,
      talosVersion: n.talosVersion,
      schematicId: id,
    };
  });
  const spec = fleetSpecFromTalconfig(
    { clusterName: view.clusterName, endpoint: loaded.config!.endpoint, nodes },
    osCA,
    schematics,
  );
  return { spec, factoryListen: loopbackFactory(loaded.config!.imageFactory) };
}

/** When talconfig's `imageFactory` names a loopback host, the simulated factory listens there (plain HTTP). */
function loopbackFactory(
  f: { registryURL?: string; protocol?: string } | undefined,
): { host: string; port: number } | undefined {
  const m = f?.registryURL ? /^(127(?:\.\d{1,3}){3}|localhost)(?::(\d+))?$/.exec(f.registryURL) : null;
  if (!m) return undefined;
  if (f?.protocol !== "http") {
    throw new TalformError(
      `imageFactory.registryURL ${f!.registryURL} is a loopback address, but imageFactory.protocol is ${f?.protocol ?? "https (the default)"}`,
      {
        code: "sim-factory",
        hint: "the simulated Image Factory serves plain HTTP: set imageFactory.protocol: http",
      },
    );
  }
  return { host: m[1] === "localhost" ? "127.0.0.1" : m[1]!, port: Number(m[2] ?? 80) };
}

/** The OS (Talos API) CA of the cluster from its secrets bundle; decrypted in memory, never written. */
async function clusterOsCA(
  ctx: CliContext,
  dir: string,
  secretFile: string | undefined,
  decryptor: SopsDecryptor,
): Promise<{ crt: string; key: string }> {
  const candidates = secretFile ? [resolve(ctx.cwd, secretFile)] : SECRET_FILES.map((f) => join(dir, f));
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new TalformError(`no secrets bundle: looked for ${candidates.join(", ")}`, {
      code: "sim-secrets",
      hint: "create one with `talform gensecret --out talsecret.sops.yaml` (the simulated nodes' certificates are issued from its OS CA)",
    });
  }
  const text = await readFile(path, "utf8");
  let plain = text;
  if (decryptor.isEncrypted(text)) plain = await decryptor.decrypt(text, path);
  else ctx.stderr.write(`warning: ${path} is not SOPS-encrypted; encrypt it with \`talform sops encrypt\`\n`);
  const { parseSecretsBundle } = await import("../../secrets/index.js");
  return parseSecretsBundle(plain, path).certs.os;
}

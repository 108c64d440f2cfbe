// Test-only: a simulated homelab in a temp folder (talconfig, secrets, simulated nodes) and child processes of the
// real CLI (`talform ui`, `talform apply`), as a user runs them in two terminals.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTestBundle } from "../src/machineconfig/test-support.js";
import { serializeSecretsBundle } from "../src/secrets/index.js";
import { SimImageFactory, startFleet, type Fleet } from "../src/sim/index.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const ENV: Record<string, string | undefined> = { ...process.env, TALFORM_LOOPBACK_ONLY: "1", NO_COLOR: "1" };

export const NODES = [
  { hostname: "cp1", address: "127.0.67.1", controlPlane: true },
  { hostname: "w1", address: "127.0.67.11", controlPlane: false },
  { hostname: "w2", address: "127.0.67.12", controlPlane: false },
] as const;

export function talconfigText(talosVersion: string, kubernetesVersion: string): string {
  return `clusterName: browserlab
talosVersion: ${talosVersion}
kubernetesVersion: ${kubernetesVersion}
endpoint: https://127.0.67.100:6443
nodes:
${NODES.map(
  (n) => `  - hostname: ${n.hostname}
    ipAddress: ${n.address}
    controlPlane: ${n.controlPlane}
    installDisk: /dev/sda
`,
).join("")}`;
}

export interface Lab {
  readonly dir: string;
  readonly fleet: Fleet;
  readonly talconfig: string;
  /** The simulated Image Factory the CLI registers schematics with (TALFORM_IMAGE_FACTORY) and the nodes pull from. */
  readonly factory: SimImageFactory;
}

/** Nodes in maintenance mode running `talosVersion`; a reboot takes about `timeScale` × 2 s. */
export async function startLab(talosVersion: string, kubernetesVersion: string, timeScale: number): Promise<Lab> {
  const dir = await mkdtemp(join(tmpdir(), "talform-ui-browser-"));
  const bundle = await makeTestBundle();
  const factory = new SimImageFactory();
  await factory.start("127.0.0.1", 0);
  // The talconfig names factory.talos.dev; every talform process of the lab registers with the simulated factory.
  ENV["TALFORM_IMAGE_FACTORY"] = factory.url;
  const fleet = await startFleet(
    {
      clusterName: "browserlab",
      osCA: bundle.certs.os,
      kubernetesEndpoint: "https://127.0.67.100:6443",
      nodes: NODES.map((n) => ({ ...n, talosVersion })),
    },
    { timeScale, seed: 3, imageFactory: factory },
  );
  const talconfig = join(dir, "talconfig.yaml");
  await writeFile(talconfig, talconfigText(talosVersion, kubernetesVersion));
  await writeFile(join(dir, "talsecret.yaml"), serializeSecretsBundle(bundle), { mode: 0o600 });
  return { dir, fleet, talconfig, factory };
}

/** Runs the CLI from source in a child process (the code `talform` runs, without a build). */
export function talform(args: readonly string[], cwd: string): ChildProcess & { output: () => string } {
  const child = spawn(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), join(ROOT, "src/cli/main.ts"), ...args],
    {
      cwd,
      env: ENV,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

/** Starts `talform ui` and resolves with the URL it prints. */
export async function startUiProcess(
  cwd: string,
  extra: readonly string[] = [],
): Promise<{ url: string; stop: () => Promise<void>; output: () => string }> {
  const child = talform(["ui", "-c", "talconfig.yaml", ...extra], cwd);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`talform ui printed no URL in 60 s:\n${child.output()}`)), 60_000);
    child.stdout!.on("data", () => {
      const m = /talform ui: (http:\/\/\S+)/.exec(child.output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on("exit", (code) => reject(new Error(`talform ui exited with ${code}:\n${child.output()}`)));
  });
  return {
    url,
    output: child.output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export function waitExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

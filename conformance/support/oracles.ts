// Locates and runs the conformance oracles (the real Talos machinery via our talos-oracle, sops, talhelper) and the
// read-only reference material in ../shared/reference. Everything here fails loudly: a conformance test that cannot
// find its oracle or its reference file must fail, never skip, or a missing tool would look like a green suite.
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export type OracleName = "talos-oracle" | "sops" | "talhelper" | "talosctl" | "kubectl" | "etcdutl" | "kube-apiserver";

export interface OracleResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOracleOptions {
  /** Written to the oracle's stdin (which is otherwise closed). */
  input?: string | Uint8Array;
  /** Added to (and overriding) the inherited environment. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the oracle after this many milliseconds (default 120 s) so a hang fails the test instead of the CI job. */
  timeoutMs?: number;
}

/** The repository root (this file is <root>/conformance/support/oracles.ts). */
export const repoRoot: string = fileURLToPath(new URL("../..", import.meta.url));

const INSTALL_HINT = "run `bash scripts/install-oracles.sh` (needs Go >= 1.26 and the Go module proxy)";

/** Folder holding the oracle binaries: $TALFORM_ORACLE_BIN_DIR, else <repo>/.cache/bin. */
export function oracleBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.TALFORM_ORACLE_BIN_DIR;
  if (dir !== undefined && dir !== "") return isAbsolute(dir) ? dir : resolve(repoRoot, dir);
  return join(repoRoot, ".cache", "bin");
}

/** Absolute path of an installed oracle; throws when it is missing or not executable. */
export function oraclePath(name: OracleName): string {
  const path = join(oracleBinDir(), name);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    const hint =
      name === "kube-apiserver"
        ? "run `bash scripts/install-kube-apiserver.sh` (needs Go >= 1.26 and the Go module proxy)"
        : INSTALL_HINT;
    throw new Error(`conformance oracle "${name}" is not installed at ${path}: ${hint}`);
  }
  return path;
}

/** Environment every oracle run gets: nothing may phone home (sops checks GitHub for updates on --version). */
const QUIET_ENV: Record<string, string> = { SOPS_DISABLE_VERSION_CHECK: "1" };

/** Runs an oracle to completion and returns its exit code and output; never throws for a non-zero exit. */
export function runOracle(
  name: OracleName,
  args: readonly string[],
  opts: RunOracleOptions = {},
): Promise<OracleResult> {
  const path = oraclePath(name);
  const env: NodeJS.ProcessEnv = { ...process.env, ...QUIET_ENV };
  for (const [key, value] of Object.entries(opts.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(path, args, { cwd: opts.cwd ?? repoRoot, env, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} ${args.join(" ")} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${name} (${path}): ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
    // An oracle that exits before reading stdin closes the pipe; that is its business, not an error here.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** Runs talos-oracle and parses its JSON report; throws with the oracle's stderr when it printed no JSON. */
export async function runOracleJson<T>(
  args: readonly string[],
  opts: RunOracleOptions = {},
): Promise<{ code: number; report: T; stderr: string }> {
  const res = await runOracle("talos-oracle", args, opts);
  try {
    return { code: res.code, report: JSON.parse(res.stdout) as T, stderr: res.stderr };
  } catch {
    throw new Error(
      `talos-oracle ${args.join(" ")} exited ${res.code} without a JSON report:\n${res.stderr}${res.stdout}`,
    );
  }
}

/**
 * Root of the read-only reference material. $TALFORM_REFERENCE_DIR wins; otherwise `../shared/reference` beside the
 * repository (a clone at /work/x sees /work/shared), then `../../shared/reference` (a worktree at /work/wt/x).
 */
export function resolveReferenceRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.TALFORM_REFERENCE_DIR;
  if (override !== undefined && override !== "") return resolve(repoRoot, override);
  const candidates = [
    resolve(repoRoot, "..", "shared", "reference"),
    resolve(repoRoot, "..", "..", "shared", "reference"),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) {
    throw new Error(
      `the conformance suite needs the shared reference folder, looked in ${candidates.join(" and ")}: clone the ` +
        `repository next to the shared folder or set TALFORM_REFERENCE_DIR`,
    );
  }
  return found;
}

/** Absolute path into the reference folder; throws when it does not exist. */
export function referencePath(...parts: string[]): string {
  const path = join(resolveReferenceRoot(), ...parts);
  if (!existsSync(path)) throw new Error(`reference file ${path} is missing`);
  return path;
}

// Minimal local version of the conformance engineer's oracle helpers (same three exports); the lead keeps one at merge.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export type OracleName = "sops" | "talos-oracle" | "talhelper";

/** Absolute path of an oracle binary under `<repo>/.cache/bin`, or undefined when it has not been built. */
export function oraclePath(name: OracleName): string | undefined {
  const p = join(repoRoot, ".cache", "bin", name);
  return existsSync(p) ? p : undefined;
}

export function runOracle(
  name: OracleName,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string | undefined>; cwd?: string } = {},
): { code: number; stdout: string; stderr: string } {
  const bin = oraclePath(name);
  if (!bin) throw new Error(`oracle ${name} is not built (expected ${join(repoRoot, ".cache", "bin", name)})`);
  const r = spawnSync(bin, [...args], {
    input: options.input,
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env } as NodeJS.ProcessEnv,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/**
 * A path inside the read-only reference tree: `../shared/reference` from the repo root, or from a parent folder
 * (worktrees live one level deeper than the main checkout).
 */
export function referencePath(...parts: string[]): string {
  let dir = repoRoot;
  for (let i = 0; i < 3; i++) {
    const candidate = resolve(dir, "..", "shared", "reference");
    if (existsSync(candidate)) return join(candidate, ...parts);
    dir = resolve(dir, "..");
  }
  return resolve(repoRoot, "..", "shared", "reference", ...parts);
}

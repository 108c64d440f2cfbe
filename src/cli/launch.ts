import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { processIO, type CliIO } from "./context.js";

/*
 * How bin/talform.js starts the CLI. `npm run build` bundles it into one CommonJS file (scripts/bundle-cli.mjs) and
 * stores V8's code cache for it, made after a training run; this module compiles the bundle with that cache. Node 20
 * has no compile cache of its own (module.enableCompileCache is Node 22), and resolving, reading and compiling the
 * CLI's modules was most of a short command's time (docs/bench.md). The cache is used only when it was made from
 * exactly this bundle (its first 32 bytes are the bundle's SHA-256) and V8 accepts it (same V8 version and flags);
 * otherwise the bundle is compiled as usual. Without a bundle (a tsc-only build, or src/ under tsx) the modules are
 * imported directly. Nothing is ever written at run time.
 */

export interface BundledCli {
  readonly runCli: (argv: readonly string[], io: CliIO) => Promise<number>;
  /** Whether V8 used the stored code cache. */
  readonly cacheUsed: boolean;
  /** Writes the code cache of everything compiled so far (the build's training run). */
  readonly saveCodeCache: () => void;
}

export const BUNDLE_FILE = "talform.cjs";
export const CACHE_FILE = "talform.cjs.cache";

// The bundle runs as a CommonJS module body; its `require` resolves from the bundle's folder.
const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) {";
const WRAPPER_TAIL = "\n})";

/** Compiles and runs the bundle in `dir`; undefined when there is none. */
export function loadBundledCli(dir: URL): BundledCli | undefined {
  const bundlePath = new URL(BUNDLE_FILE, dir);
  if (!existsSync(bundlePath)) return undefined;
  const bytes = readFileSync(bundlePath);
  // The cache belongs to the exact source V8 compiles (V8 itself only compares lengths).
  const digest = createHash("sha256").update(WRAPPER_HEAD).update(bytes).update(WRAPPER_TAIL).digest();
  const cachePath = new URL(CACHE_FILE, dir);
  const stored = existsSync(cachePath) ? readFileSync(cachePath) : undefined;
  const cachedData =
    stored && stored.length > 32 && stored.subarray(0, 32).equals(digest) ? stored.subarray(32) : undefined;
  const filename = fileURLToPath(bundlePath);
  // The build checks that the bundle is ASCII, so latin1 decodes it exactly (and much faster than utf8).
  const script = new Script(WRAPPER_HEAD + bytes.toString("latin1") + WRAPPER_TAIL, {
    filename,
    ...(cachedData ? { cachedData } : {}),
  });
  const bundle = { exports: {} as { runCli?: BundledCli["runCli"] } };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    bundle.exports,
    createRequire(filename),
    bundle,
    filename,
    dirname(filename),
  );
  const { runCli } = bundle.exports;
  if (typeof runCli !== "function") throw new Error(`${filename} does not export runCli`);
  return {
    runCli,
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
    saveCodeCache: () => writeFileSync(cachePath, Buffer.concat([digest, script.createCachedData()])),
  };
}

/** bin/talform.js: run the CLI on this process's arguments and streams. */
export async function main(): Promise<void> {
  const cli = loadBundledCli(new URL("../cli-bundle/", import.meta.url)) ?? (await import("./program.js"));
  process.exitCode = await cli.runCli(process.argv.slice(2), processIO());
}

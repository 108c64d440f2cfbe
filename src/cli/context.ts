import type { TalosContract } from "../contract/index.js";
import type { SecretsBundle } from "../secrets/index.js";

/**
 * What a command may touch of the outside world. Commands receive it instead of reaching for `process`, so the whole
 * CLI runs in-process in tests (see `runCli`).
 */
export interface CliIO {
  readonly stdout: { write(chunk: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(chunk: string): unknown; readonly isTTY?: boolean };
  readonly stdin?: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * Makes a new secrets bundle (default `generateSecretsBundle`). Injected by tests that run the CLI in-process: one
   * real RSA-4096 service-account key costs ~3 CPU seconds, so they generate RSA-2048 where the contract says RSA.
   */
  readonly generateSecrets?: (contract: TalosContract) => Promise<SecretsBundle>;
}

export interface CliContext extends CliIO {
  /**
   * The folder commands work in. Config discovery moves it to the discovered talconfig.yaml's folder, so every path
   * relative to the talconfig (secrets, clusterconfig/, the state folder) means the same as when run there.
   */
  cwd: string;
  /** Set by a command that finishes without throwing but wants a non-zero exit (e.g. validation errors, plan changes). */
  exitCode: number;
  /** `--debug`: print stack traces of internal errors. */
  debug: boolean;
}

export function processIO(): CliIO {
  // `talform … | head` closes stdout early: that ends the output, it is not a crash (Unix tools exit quietly).
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode ?? 0);
  });
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

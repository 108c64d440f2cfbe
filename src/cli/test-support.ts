import { runCliCaptured as runCaptured } from "./run-captured.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process with captured output (for tests). */
export async function runCliCaptured(
  argv: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliRun> {
  return runCaptured(argv, { env: options.env ?? {}, cwd: options.cwd ?? process.cwd() });
}

import type { TalosContract } from "../contract/index.js";
import { generateSecretsBundle } from "../secrets/index.js";
import { runCliCaptured as runCaptured } from "./run-captured.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Bundles as the contract makes them, but an RSA service-account key is RSA-2048: the CLI tests check which kind of
 * key a version gets, not its size (src/secrets/secrets.test.ts checks the real RSA-4096 one), and RSA-4096 costs
 * ~3 CPU seconds per bundle.
 */
export const fastSecrets = (contract: TalosContract) =>
  generateSecretsBundle(contract, undefined, { serviceAccountRsa: "rsa-2048" });

/** Runs the CLI in-process with captured output (for tests); secrets bundles are made exactly as in production. */
export async function runCliCaptured(
  argv: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; generateSecrets?: typeof fastSecrets } = {},
): Promise<CliRun> {
  return runCaptured(argv, {
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    ...(options.generateSecrets ? { generateSecrets: options.generateSecrets } : {}),
  });
}

/** `runCliCaptured` with `fastSecrets`: for unit tests that do not check the size of an RSA service-account key. */
export function runCliFast(
  argv: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliRun> {
  return runCliCaptured(argv, { ...options, generateSecrets: fastSecrets });
}

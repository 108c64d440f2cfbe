import type { Diagnostic } from "./diagnostic.js";

/**
 * Exit codes of the talform CLI (documented in the README).
 *   0  success / clean
 *   1  the input or the cluster has a problem the user can fix (validation errors, unhealthy nodes, findings)
 *   2  `plan`: changes are pending
 *   64 the command line itself is wrong (unknown flag, missing argument)
 *   70 an internal error — a bug in talform
 */
export const ExitCode = {
  ok: 0,
  userError: 1,
  changesPending: 2,
  usage: 64,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error the user can act on. The CLI prints its diagnostics (never a stack trace unless --debug)
 * and exits with `exitCode`.
 */
export class TalformError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  readonly exitCode: ExitCode;

  constructor(
    message: string,
    options: {
      diagnostics?: readonly Diagnostic[];
      hint?: string;
      code?: string;
      exitCode?: ExitCode;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TalformError";
    this.exitCode = options.exitCode ?? ExitCode.userError;
    this.diagnostics = options.diagnostics ?? [
      { severity: "error", code: options.code ?? "error", message, ...(options.hint ? { hint: options.hint } : {}) },
    ];
  }
}

export function isTalformError(e: unknown): e is TalformError {
  return e instanceof TalformError;
}

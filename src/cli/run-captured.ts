import { runCli } from "./program.js";
import type { CliIO } from "./context.js";

/** Runs another talform command in-process with its output captured (a command that checks its own result). */
export async function runCliCaptured(
  argv: readonly string[],
  io: Pick<CliIO, "env" | "cwd" | "generateSecrets">,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: io.env,
    cwd: io.cwd,
    ...(io.generateSecrets ? { generateSecrets: io.generateSecrets } : {}),
  });
  return { code, stdout, stderr };
}

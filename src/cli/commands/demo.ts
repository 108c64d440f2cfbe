import { resolve } from "node:path";
import type { CommandDefiner } from "./index.js";

export const defineDemo: CommandDefiner = (program, ctx) => {
  program
    .command("demo")
    .description(
      "run the whole workflow (secrets, configs, install, bootstrap, upgrade, doctor) against a simulated homelab in a temp folder",
    )
    .option(
      "--keep <dir>",
      "write the cluster folder here and keep it (with the demo's throwaway age key) instead of a temp folder",
    )
    .option("--nodes <counts>", "how many nodes of each kind", "cp=3,gpu=1,worker=2")
    .option(
      "--subnet <a.b.c>",
      "the loopback /24 the simulated nodes listen on (default 127.77.0, or the next free one)",
    )
    .option("--time-scale <factor>", "multiply every simulated duration (1 = a reboot takes ~3 s)", (v) => Number(v), 1)
    .action(async (opts: { keep?: string; nodes: string; subnet?: string; timeScale: number }) => {
      const { runDemo, parseNodeCounts } = await import("../demo/index.js");
      if (opts.subnet !== undefined && !/^127\.\d{1,3}\.\d{1,3}$/.test(opts.subnet)) {
        const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
        throw new TalformError(`--subnet "${opts.subnet}" is not a loopback /24`, {
          code: "usage",
          hint: "write the first three octets, e.g. --subnet 127.77.5",
          exitCode: ExitCode.usage,
        });
      }
      await runDemo({
        counts: parseNodeCounts(opts.nodes),
        timeScale: opts.timeScale,
        write: (s) => ctx.stdout.write(s),
        ...(opts.subnet ? { subnet: opts.subnet } : {}),
        ...(opts.keep ? { keepDir: resolve(ctx.cwd, opts.keep) } : {}),
      });
    });
};

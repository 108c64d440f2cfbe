import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { CliContext } from "../context.js";
import type { CommandDefiner } from "./index.js";

export const defineApply: CommandDefiner = (program, ctx) => {
  program
    .command("apply")
    .description(
      "roll the cluster to talconfig.yaml (or execute a saved plan exactly): control planes one at a time, etcd-safe, resumable",
    )
    .argument("[plan]", "a plan saved with `talform plan --out`; refused when the cluster or the inputs changed since")
    .option("-c, --config <file>", "talconfig file (default: the plan's, else talconfig.yaml)")
    .option("-s, --secrets <file>", "secrets bundle (default: talsecret.sops.yaml, talsecret.yaml, …)")
    .option("--yes", "do not ask for confirmation")
    .option(
      "--max-parallel <n>",
      "workers changed at once (control planes are always one at a time)",
      (v) => Number(v),
      1,
    )
    .option(
      "--gate <command>",
      "run after each node (TALFORM_NODE, TALFORM_NODE_ADDRESS set); a non-zero exit stops the rollout",
    )
    .option("--resume", "continue the interrupted run of this plan from the journal")
    .option("--no-etcd-snapshot", "do not save an etcd snapshot before the first control-plane change")
    .option("--offline", "do not register schematics with the Image Factory (air-gapped sites with their own registry)")
    .option(
      "--discard-journal",
      "forget an unfinished earlier run instead of refusing (nodes it cordoned stay cordoned)",
    )
    .option(
      "--allow-remove",
      "execute `remove` actions (nodes no longer in talconfig.yaml leave the cluster); otherwise asked for",
    )
    .action(
      async (
        planFile: string | undefined,
        opts: {
          config?: string;
          secrets?: string;
          yes?: boolean;
          maxParallel: number;
          gate?: string;
          resume?: boolean;
          etcdSnapshot: boolean;
          offline?: boolean;
          discardJournal?: boolean;
          allowRemove?: boolean;
        },
      ) => {
        if (!Number.isInteger(opts.maxParallel) || opts.maxParallel < 1) {
          const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
          throw new TalformError("--max-parallel must be a whole number ≥ 1", {
            code: "usage",
            hint: "e.g. --max-parallel 2",
            exitCode: ExitCode.usage,
          });
        }
        const { runApplyCommand } = await import("../rollout-commands.js");
        await runApplyCommand(ctx, planFile, opts);
        if (ctx.exitCode === 0) await refreshClusterconfig(ctx, opts);
      },
    );
};

/**
 * After a rollout, clusterconfig/ (when there is one) is rendered again from the inputs just applied, so it shows
 * what the nodes run and later `validate`/`doctor` runs do not report it stale.
 */
async function refreshClusterconfig(ctx: CliContext, opts: { config?: string; secrets?: string }): Promise<void> {
  const configPath = resolve(ctx.cwd, opts.config ?? "talconfig.yaml");
  const outDir = join(dirname(configPath), "clusterconfig");
  if (!existsSync(configPath) || !existsSync(outDir)) return;
  const [{ runGenconfig }, { createSopsDecryptor }] = await Promise.all([
    import("../../genconfig/index.js"),
    import("../../sops/index.js"),
  ]);
  try {
    const result = await runGenconfig({
      decryptor: createSopsDecryptor({ ...ctx.env }),
      configPath,
      outDir,
      cwd: ctx.cwd,
      env: ctx.env,
      ...(opts.secrets ? { secretsFile: opts.secrets } : {}),
    });
    ctx.stdout.write(
      `refreshed clusterconfig/ (${result.written.length} file${result.written.length === 1 ? "" : "s"} written)\n`,
    );
  } catch (e) {
    // The rollout succeeded; a render that fails now is reported, not turned into a failed apply.
    ctx.stderr.write(
      `warning: clusterconfig/ was not refreshed: ${(e as Error).message} (run \`talform genconfig\`)\n`,
    );
  }
}

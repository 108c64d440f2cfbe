import type { CommandDefiner } from "./index.js";

export const defineApply: CommandDefiner = (program, ctx) => {
  program
    .command("apply")
    .description("roll the cluster to talconfig.yaml (or execute a saved plan exactly): control planes one at a time, etcd-safe, resumable")
    .argument("[plan]", "a plan saved with `talform plan --out`; refused when the cluster or the inputs changed since")
    .option("-c, --config <file>", "talconfig file (default: the plan's, else talconfig.yaml)")
    .option("-s, --secrets <file>", "secrets bundle (default: talsecret.sops.yaml, talsecret.yaml, …)")
    .option("--yes", "do not ask for confirmation")
    .option("--max-parallel <n>", "workers changed at once (control planes are always one at a time)", (v) => Number(v), 1)
    .option("--gate <command>", "run after each node (TALFORM_NODE, TALFORM_NODE_ADDRESS set); a non-zero exit stops the rollout")
    .option("--resume", "continue the interrupted run of this plan from the journal")
    .option("--no-etcd-snapshot", "do not save an etcd snapshot before the first control-plane change")
    .action(async (planFile: string | undefined, opts: { config?: string; secrets?: string; yes?: boolean; maxParallel: number; gate?: string; resume?: boolean; etcdSnapshot: boolean }) => {
      if (!Number.isInteger(opts.maxParallel) || opts.maxParallel < 1) {
        const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
        throw new TalformError("--max-parallel must be a whole number ≥ 1", { code: "usage", hint: "e.g. --max-parallel 2", exitCode: ExitCode.usage });
      }
      const { runApplyCommand } = await import("../../rollout/cli.js");
      await runApplyCommand(ctx, planFile, opts);
    });
};

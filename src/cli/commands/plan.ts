import type { CommandDefiner } from "./index.js";

export const definePlan: CommandDefiner = (program, ctx) => {
  program
    .command("plan")
    .description(
      "compare what the nodes run with talconfig.yaml and show what apply would do (exit 0: no changes, 2: changes, 1: errors)",
    )
    .option("-c, --config <file>", "talconfig file", "talconfig.yaml")
    .option("-s, --secrets <file>", "secrets bundle (default: talsecret.sops.yaml, talsecret.yaml, …)")
    .option("--json", "print the plan as JSON (docs/plan-format.md)")
    .option("--out <file>", "also save the plan as JSON, to apply exactly it later (talform apply <file>)")
    .option(
      "--offline",
      "plan no schematic registration with the Image Factory (air-gapped sites with their own registry)",
    )
    .option("--skip-checks", "report a Kubernetes upgrade's pre-upgrade findings instead of blocking on them")
    .action(
      async (opts: {
        config: string;
        secrets?: string;
        json?: boolean;
        out?: string;
        offline?: boolean;
        skipChecks?: boolean;
      }) => {
        const { runPlanCommand } = await import("../rollout-commands.js");
        await runPlanCommand(ctx, opts);
      },
    );
};

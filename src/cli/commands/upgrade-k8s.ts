import type { CommandDefiner } from "./index.js";

export const defineUpgradeK8s: CommandDefiner = (program, ctx) => {
  program
    .command("upgrade-k8s")
    .description(
      "upgrade Kubernetes the way `talosctl upgrade-k8s` does: checks, control-plane components one at a time, kubelets node by node, bootstrap manifests",
    )
    .option("-c, --config <file>", "talconfig file", "talconfig.yaml")
    .option("-s, --secrets <file>", "secrets bundle (default: talsecret.sops.yaml, talsecret.yaml, …)")
    .option("--to <version>", "the Kubernetes version to upgrade to (default: talconfig's kubernetesVersion)")
    .option("--dry-run", "show the steps and the bootstrap manifests' diff; change nothing")
    .option("--skip-checks", "report the pre-upgrade findings (removed APIs, flags, feature gates) instead of blocking")
    .option("--yes", "do not ask for confirmation")
    .option("--resume", "continue the interrupted run from the journal")
    .action(
      async (opts: {
        config: string;
        secrets?: string;
        to?: string;
        dryRun?: boolean;
        skipChecks?: boolean;
        yes?: boolean;
        resume?: boolean;
      }) => {
        const { runUpgradeK8sCommand } = await import("../upgrade-k8s-command.js");
        await runUpgradeK8sCommand(ctx, opts);
      },
    );
};

import { ExitCode, TalformError } from "../diagnostics/index.js";
import type { CliContext } from "./context.js";
import { parseKubernetesVersion } from "../contract/index.js";
import { createClusterAccess, formatPlan, withKubernetesVersion } from "../plan/index.js";
import type { LoadedDesired } from "../plan/from-talconfig.js";
import { load, planFor, runApplyCommand } from "./rollout-commands.js";
import { syncManifests } from "../rollout/kubernetes-steps.js";

export interface UpgradeK8sOptions {
  readonly config?: string;
  readonly secrets?: string;
  readonly to?: string;
  readonly dryRun?: boolean;
  readonly skipChecks?: boolean;
  readonly yes?: boolean;
  readonly resume?: boolean;
}

/**
 * `talform upgrade-k8s`: the same plan and steps as `apply` for a Kubernetes version change, refused when the plan
 * also changes nodes. `--to` retags the rendered configs' component images (talconfig's kubernetesVersion otherwise).
 */
export async function runUpgradeK8sCommand(ctx: CliContext, o: UpgradeK8sOptions): Promise<void> {
  if (o.to !== undefined && !parseKubernetesVersion(o.to))
    throw new TalformError(`--to ${o.to}: not a Kubernetes version (vX.Y.Z)`, {
      code: "usage",
      exitCode: ExitCode.usage,
    });
  const retag = (l: LoadedDesired): LoadedDesired =>
    o.to ? { ...l, desired: withKubernetesVersion(l.desired, o.to) } : l;
  if (!o.dryRun) {
    await runApplyCommand(
      ctx,
      undefined,
      { ...pick(o), ...(o.yes ? { yes: true } : {}), ...(o.resume ? { resume: true } : {}) },
      retag,
    );
    warnTalconfig(ctx, o);
    return;
  }
  const loaded = retag(await load(ctx, o.config, o.secrets));
  const plan = await planFor(ctx, loaded, { skipChecks: o.skipChecks ?? false });
  ctx.stdout.write(formatPlan(plan));
  const k = plan.kubernetes;
  ctx.exitCode =
    plan.errors.length > 0 ? ExitCode.userError : plan.summary.changes > 0 ? ExitCode.changesPending : ExitCode.ok;
  if (!k || plan.errors.length > 0) return;
  const access = createClusterAccess({
    credentials: loaded.credentials,
    controlPlanes: loaded.desired.nodes.filter((n) => n.controlPlane).map((n) => n.address),
    env: ctx.env,
  });
  try {
    const kube = await access.kube();
    if (!kube)
      throw new TalformError("the Kubernetes API is not reachable: the manifests' diff cannot be shown", {
        code: "kube-unreachable",
      });
    const desired = new Map(loaded.desired.nodes.map((n) => [n.hostname, n]));
    const step = k.steps.filter((s) => s.kind === "manifests").at(-1)!;
    const lines = await syncManifests(
      kube,
      {
        plan,
        desired,
        client: (n) => access.secure(n.address),
        kube: async () => kube,
        until: async () => {},
        info: () => {},
        healthTimeoutMs: 0,
      },
      step,
      { dryRun: true },
    );
    ctx.stdout.write(
      `bootstrap manifests at v${step.version} (${step.sync === "server-side-apply" ? "server-side apply, dry run" : "legacy sync"}):\n${lines.length > 0 ? lines.map((l) => `  ${l}`).join("\n") : "  no changes"}\n`,
    );
  } finally {
    access.close();
  }
  warnTalconfig(ctx, o);
}

function pick(o: UpgradeK8sOptions): { config?: string; secrets?: string; skipChecks?: boolean } {
  return {
    ...(o.config ? { config: o.config } : {}),
    ...(o.secrets ? { secrets: o.secrets } : {}),
    ...(o.skipChecks ? { skipChecks: true } : {}),
  };
}

function warnTalconfig(ctx: CliContext, o: UpgradeK8sOptions): void {
  if (o.to)
    ctx.stderr.write(
      `note: set kubernetesVersion: ${o.to.replace(/^v/, "")} in ${o.config ?? "talconfig.yaml"}, or the next plan refuses it as a downgrade\n`,
    );
}

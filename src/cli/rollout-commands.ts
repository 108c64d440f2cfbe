import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { dirname, join, relative, resolve } from "node:path";
import { ExitCode, TalformError } from "../diagnostics/index.js";
import type { CliContext } from "./context.js";
import { TALFORM_VERSION } from "../version.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { statePaths, writeStateFile } from "../util/state-dir.js";
import {
  assemblePlan,
  createClusterAccess,
  formatPlan,
  observeCluster,
  parsePlanJson,
  type NodePlan,
  type Plan,
} from "../plan/index.js";
import { loadDesiredFromTalconfig, type LoadedDesired } from "../plan/from-talconfig.js";
import { executePlan, StalePlanError } from "../rollout/executor.js";
import { fileJournal, journalPathFor } from "../rollout/journal.js";
import { eventLogPathFor, fileEventLog, teeReporter } from "../rollout/event-log.js";
import { plainReporter, ttyReporter } from "../rollout/views.js";
import { cliFactoryHttp } from "../rollout/factory-http.js";
import { interruptNotice } from "./rollout-interrupt.js";
import { journalWarnings, refuseUnfinishedRun } from "./rollout-unfinished.js";

export interface PlanCommandOptions {
  readonly config?: string;
  readonly secrets?: string;
  readonly json?: boolean;
  readonly out?: string;
  readonly offline?: boolean;
  /** Report the Kubernetes upgrade's pre-upgrade findings instead of blocking on them. */
  readonly skipChecks?: boolean;
}

export async function planFor(
  ctx: CliContext,
  loaded: LoadedDesired,
  extra: { offline?: boolean; skipChecks?: boolean } = {},
): Promise<Plan> {
  const access = createClusterAccess({
    credentials: loaded.credentials,
    controlPlanes: loaded.desired.nodes.filter((n) => n.controlPlane).map((n) => n.address),
    env: ctx.env,
  });
  try {
    const observed = await observeCluster(loaded.desired.nodes, access);
    const journal = await fileJournal(journalPathFor(loaded.talconfigPath)).load();
    return assemblePlan(loaded.desired, observed, {
      toolVersion: TALFORM_VERSION,
      now: new Date().toISOString(),
      lastApplied: journal.applied,
      talconfig: {
        path: relative(ctx.cwd, loaded.talconfigPath) || loaded.talconfigPath,
        digest: loaded.talconfigDigest,
      },
      offline: extra.offline ?? false,
      ...(extra.skipChecks ? { skipChecks: true } : {}),
    });
  } finally {
    access.close();
  }
}

export const load = (ctx: CliContext, config: string | undefined, secrets: string | undefined) =>
  loadDesiredFromTalconfig({
    configPath: config ?? "talconfig.yaml",
    cwd: ctx.cwd,
    env: ctx.env,
    ...(secrets ? { secretsFile: secrets } : {}),
  });

/** `talform plan`: exit 0 no changes, 2 changes, 1 errors (unreachable nodes, guards). */
export async function runPlanCommand(ctx: CliContext, o: PlanCommandOptions): Promise<void> {
  const loaded = await load(ctx, o.config, o.secrets);
  const plan = await planFor(ctx, loaded, { offline: o.offline ?? false, skipChecks: o.skipChecks ?? false });
  if (o.out) await writeFileAtomic(resolve(ctx.cwd, o.out), JSON.stringify(plan, null, 2) + "\n", { mode: 0o600 });
  ctx.stdout.write(o.json ? JSON.stringify(plan, null, 2) + "\n" : formatPlan(plan));
  if (!o.json) ctx.stdout.write(await journalWarnings(journalPathFor(loaded.talconfigPath)));
  ctx.exitCode =
    plan.errors.length > 0 ? ExitCode.userError : plan.summary.changes > 0 ? ExitCode.changesPending : ExitCode.ok;
}

export interface ApplyCommandOptions {
  readonly config?: string;
  readonly secrets?: string;
  readonly yes?: boolean;
  readonly maxParallel?: number;
  readonly gate?: string;
  readonly resume?: boolean;
  readonly etcdSnapshot?: boolean;
  readonly offline?: boolean;
  readonly discardJournal?: boolean;
  readonly allowRemove?: boolean;
  readonly skipChecks?: boolean;
}

/** `talform apply [plan.json]`: executes a saved plan exactly, or plans, shows and asks first. */
export async function runApplyCommand(
  ctx: CliContext,
  planFile: string | undefined,
  o: ApplyCommandOptions,
  loadOverride?: (l: LoadedDesired) => LoadedDesired,
): Promise<void> {
  let plan: Plan;
  let loaded: LoadedDesired;
  if (planFile) {
    const path = resolve(ctx.cwd, planFile);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      throw new TalformError(`${planFile} does not exist`, {
        code: "file-missing",
        hint: "save a plan with talform plan --out plan.json",
      });
    }
    try {
      plan = parsePlanJson(text, planFile);
    } catch (e) {
      throw new TalformError((e as Error).message, {
        code: "plan-file",
        hint: "save a new plan with talform plan --out plan.json",
        cause: e,
      });
    }
    if (o.offline && plan.prepare.length > 0) {
      throw new TalformError(
        `${planFile} registers ${plan.prepare.length} schematic(s) with the image factory; apply executes a saved plan exactly`,
        {
          code: "usage",
          exitCode: ExitCode.usage,
          hint: "plan again with `talform plan --offline --out plan.json`",
        },
      );
    }
    loaded = await load(ctx, o.config ?? plan.inputs.talconfig, o.secrets);
    await refuseUnfinishedRun(ctx, journalPathFor(loaded.talconfigPath), o);
  } else {
    loaded = await load(ctx, o.config, o.secrets);
    await refuseUnfinishedRun(ctx, journalPathFor(loaded.talconfigPath), o);
    if (loadOverride) loaded = loadOverride(loaded);
    plan = await planFor(ctx, loaded, { offline: o.offline ?? false, skipChecks: o.skipChecks ?? false });
    if (loadOverride && plan.nodes.some((n) => n.actions.length > 0)) {
      ctx.stdout.write(formatPlan(plan));
      throw new TalformError("upgrade-k8s only upgrades Kubernetes, but the plan also changes nodes", {
        code: "upgrade-k8s-mixed",
        hint: "roll the node changes out with `talform apply` (it upgrades Kubernetes after them)",
      });
    }
    ctx.stdout.write(formatPlan(plan));
    if (plan.errors.length > 0) {
      ctx.exitCode = ExitCode.userError;
      return;
    }
    if (plan.summary.changes === 0 && !o.resume) return;
    if (!o.yes && !(await confirm(ctx))) {
      ctx.stderr.write("apply cancelled; nothing was changed\n");
      ctx.exitCode = ExitCode.userError;
      return;
    }
  }
  const allowRemove = o.allowRemove === true || (await confirmRemovals(ctx, plan));
  const access = createClusterAccess({
    credentials: loaded.credentials,
    controlPlanes: loaded.desired.nodes.filter((n) => n.controlPlane).map((n) => n.address),
    env: ctx.env,
    retryAttempts: 3,
  });
  const dir = dirname(loaded.talconfigPath);
  const write = (s: string) => void ctx.stdout.write(s);
  const view = ctx.stdout.isTTY ? ttyReporter(write) : plainReporter(write);
  const interrupt = interruptNotice(ctx, relative(ctx.cwd, journalPathFor(loaded.talconfigPath)), planFile);
  try {
    const result = await executePlan(plan, loaded.desired, {
      access,
      journal: fileJournal(journalPathFor(loaded.talconfigPath)),
      // The event log lets `talform ui` show this rollout live (src/rollout/event-log.ts).
      report: teeReporter(
        (e) => {
          interrupt.track(e);
          view(e);
        },
        fileEventLog(eventLogPathFor(loaded.talconfigPath)),
      ),
      ...(o.resume ? { resume: true } : {}),
      factoryHttp: cliFactoryHttp(ctx.env),
      allowRemove,
      ...(o.maxParallel ? { maxParallel: o.maxParallel } : {}),
      ...(o.gate ? { gate: commandGate(o.gate, ctx) } : {}),
      ...(o.etcdSnapshot !== false
        ? {
            saveEtcdSnapshot: async (data: Uint8Array) => {
              const path = join(
                statePaths(dir).etcdSnapshots,
                `${plan.clusterName}-${new Date().toISOString().replace(/[:.]/g, "-")}.db`,
              );
              await writeStateFile(path, data);
              return relative(ctx.cwd, path) || path;
            },
          }
        : {}),
    });
    if (!result.ok) ctx.exitCode = ExitCode.userError;
  } catch (e) {
    if (e instanceof StalePlanError)
      throw new TalformError(e.message, {
        code: "stale-plan",
        hint: "run `talform plan` again and review the new plan",
      });
    throw e;
  } finally {
    interrupt.dispose();
    access.close();
  }
}

/** Removals are never silent: `--allow-remove`, or typing the node names at a terminal. */
async function confirmRemovals(ctx: CliContext, plan: Plan): Promise<boolean> {
  const removed = plan.nodes.filter((n) => n.actions.some((a) => a.type === "remove")).map((n) => n.hostname);
  if (removed.length === 0) return false;
  if (!ctx.stdin || !(ctx.stdin as NodeJS.ReadStream).isTTY) {
    throw new TalformError(
      `the plan removes ${removed.join(", ")} from the cluster (etcd leave, reset, Kubernetes Node deleted)`,
      {
        code: "remove-needs-consent",
        exitCode: ExitCode.usage,
        hint: "pass --allow-remove to apply it, or put the node(s) back into talconfig.yaml",
      },
    );
  }
  ctx.stdout.write(
    `This removes ${removed.join(", ")} from the cluster. Type the node name(s) to confirm (${removed.join(" ")}): `,
  );
  const rl = createInterface({ input: ctx.stdin });
  const answer = await new Promise<string>((r) => rl.once("line", r));
  rl.close();
  if (
    answer
      .trim()
      .split(/[\s,]+/)
      .sort()
      .join(" ") !== [...removed].sort().join(" ")
  )
    throw new TalformError("removal not confirmed; nothing was changed", { code: "cancelled" });
  return true;
}

async function confirm(ctx: CliContext): Promise<boolean> {
  if (!ctx.stdin || !(ctx.stdin as NodeJS.ReadStream).isTTY) {
    throw new TalformError(
      "apply needs confirmation: pass --yes, or apply a saved plan (talform plan --out plan.json; talform apply plan.json)",
      { code: "usage", exitCode: ExitCode.usage },
    );
  }
  ctx.stdout.write("Apply this plan? Only 'yes' is accepted: ");
  const rl = createInterface({ input: ctx.stdin });
  const answer = await new Promise<string>((r) => rl.once("line", r));
  rl.close();
  return answer.trim() === "yes";
}

/** `--gate CMD`: run after each node with TALFORM_NODE / TALFORM_NODE_ADDRESS set; a non-zero exit stops the rollout. */
function commandGate(command: string, ctx: CliContext): (node: NodePlan) => Promise<void> {
  return (node) =>
    new Promise((resolvePromise, reject) => {
      const child = spawn(command, {
        shell: true,
        cwd: ctx.cwd,
        env: { ...ctx.env, TALFORM_NODE: node.hostname, TALFORM_NODE_ADDRESS: node.address },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("error", reject);
      child.on("close", (code) =>
        code === 0
          ? resolvePromise()
          : reject(
              new Error(
                `gate \`${command}\` exited with ${code ?? "a signal"}${out.trim() ? `: ${out.trim().split("\n").slice(-3).join(" | ")}` : ""}`,
              ),
            ),
      );
    });
}

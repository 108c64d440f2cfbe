import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { dirname, join, relative, resolve } from "node:path";
import { ExitCode, TalformError } from "../diagnostics/index.js";
import type { CliContext } from "../cli/context.js";
import { TALFORM_VERSION } from "../version.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { statePaths, writeStateFile } from "../util/state-dir.js";
import { assemblePlan, createClusterAccess, formatPlan, observeCluster, parsePlanJson, type NodePlan, type Plan } from "../plan/index.js";
import { loadDesiredFromTalconfig, type LoadedDesired } from "../plan/from-talconfig.js";
import { executePlan, StalePlanError } from "./executor.js";
import { fileJournal, journalPathFor } from "./journal.js";
import { plainReporter, ttyReporter } from "./views.js";

export interface PlanCommandOptions {
  readonly config?: string;
  readonly secrets?: string;
  readonly json?: boolean;
  readonly out?: string;
}

async function planFor(ctx: CliContext, loaded: LoadedDesired): Promise<Plan> {
  const access = createClusterAccess({ credentials: loaded.credentials, controlPlanes: loaded.desired.nodes.filter((n) => n.controlPlane).map((n) => n.address), env: ctx.env });
  try {
    const observed = await observeCluster(loaded.desired.nodes, access);
    const journal = await fileJournal(journalPathFor(loaded.talconfigPath)).load();
    return assemblePlan(loaded.desired, observed, {
      toolVersion: TALFORM_VERSION,
      now: new Date().toISOString(),
      lastApplied: journal.applied,
      talconfig: { path: relative(ctx.cwd, loaded.talconfigPath) || loaded.talconfigPath, digest: loaded.talconfigDigest },
    });
  } finally {
    access.close();
  }
}

const load = (ctx: CliContext, config: string | undefined, secrets: string | undefined) =>
  loadDesiredFromTalconfig({ configPath: config ?? "talconfig.yaml", cwd: ctx.cwd, env: ctx.env, ...(secrets ? { secretsFile: secrets } : {}) });

/** `talform plan`: exit 0 no changes, 2 changes, 1 errors (unreachable nodes, guards). */
export async function runPlanCommand(ctx: CliContext, o: PlanCommandOptions): Promise<void> {
  const plan = await planFor(ctx, await load(ctx, o.config, o.secrets));
  if (o.out) await writeFileAtomic(resolve(ctx.cwd, o.out), JSON.stringify(plan, null, 2) + "\n", { mode: 0o600 });
  ctx.stdout.write(o.json ? JSON.stringify(plan, null, 2) + "\n" : formatPlan(plan));
  ctx.exitCode = plan.errors.length > 0 ? ExitCode.userError : plan.summary.changes > 0 ? ExitCode.changesPending : ExitCode.ok;
}

export interface ApplyCommandOptions {
  readonly config?: string;
  readonly secrets?: string;
  readonly yes?: boolean;
  readonly maxParallel?: number;
  readonly gate?: string;
  readonly resume?: boolean;
  readonly etcdSnapshot?: boolean;
}

/** `talform apply [plan.json]`: executes a saved plan exactly, or plans, shows and asks first. */
export async function runApplyCommand(ctx: CliContext, planFile: string | undefined, o: ApplyCommandOptions): Promise<void> {
  let plan: Plan;
  let loaded: LoadedDesired;
  if (planFile) {
    const path = resolve(ctx.cwd, planFile);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      throw new TalformError(`${planFile} does not exist`, { code: "file-missing", hint: "save a plan with talform plan --out plan.json" });
    }
    try {
      plan = parsePlanJson(text, planFile);
    } catch (e) {
      throw new TalformError((e as Error).message, { code: "plan-file", hint: "save a new plan with talform plan --out plan.json", cause: e });
    }
    loaded = await load(ctx, o.config ?? plan.inputs.talconfig, o.secrets);
  } else {
    loaded = await load(ctx, o.config, o.secrets);
    plan = await planFor(ctx, loaded);
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
  const access = createClusterAccess({ credentials: loaded.credentials, controlPlanes: loaded.desired.nodes.filter((n) => n.controlPlane).map((n) => n.address), env: ctx.env, retryAttempts: 3 });
  const dir = dirname(loaded.talconfigPath);
  const write = (s: string) => void ctx.stdout.write(s);
  try {
    const result = await executePlan(plan, loaded.desired, {
      access,
      journal: fileJournal(journalPathFor(loaded.talconfigPath)),
      report: ctx.stdout.isTTY ? ttyReporter(write) : plainReporter(write),
      ...(o.resume ? { resume: true } : {}),
      ...(o.maxParallel ? { maxParallel: o.maxParallel } : {}),
      ...(o.gate ? { gate: commandGate(o.gate, ctx) } : {}),
      ...(o.etcdSnapshot !== false
        ? {
            saveEtcdSnapshot: async (data: Uint8Array) => {
              const path = join(statePaths(dir).etcdSnapshots, `${plan.clusterName}-${new Date().toISOString().replace(/[:.]/g, "-")}.db`);
              await writeStateFile(path, data);
              return relative(ctx.cwd, path) || path;
            },
          }
        : {}),
    });
    if (!result.ok) ctx.exitCode = ExitCode.userError;
  } catch (e) {
    if (e instanceof StalePlanError) throw new TalformError(e.message, { code: "stale-plan", hint: "run `talform plan` again and review the new plan" });
    throw e;
  } finally {
    access.close();
  }
}

async function confirm(ctx: CliContext): Promise<boolean> {
  if (!ctx.stdin || !(ctx.stdin as NodeJS.ReadStream).isTTY) {
    throw new TalformError("apply needs confirmation: pass --yes, or apply a saved plan (talform plan --out plan.json; talform apply plan.json)", { code: "usage", exitCode: ExitCode.usage });
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
      const child = spawn(command, { shell: true, cwd: ctx.cwd, env: { ...ctx.env, TALFORM_NODE: node.hostname, TALFORM_NODE_ADDRESS: node.address }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolvePromise() : reject(new Error(`gate \`${command}\` exited with ${code ?? "a signal"}${out.trim() ? `: ${out.trim().split("\n").slice(-3).join(" | ")}` : ""}`))));
    });
}


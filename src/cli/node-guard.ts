import { createInterface } from "node:readline";
import { ExitCode, TalformError } from "../diagnostics/index.js";
import type { NodeResult, TalosClient } from "../talosapi/client.js";
import type { CliContext } from "./context.js";

/**
 * The seed's rules for imperative commands that take nodes down (upgrade, reboot, apply-config with a reboot):
 * say which nodes will be touched before touching them; refuse — or, on a terminal, ask — when the nodes came from
 * the talosconfig rather than an explicit `-n` and are more than one, or when more than one control plane would go
 * down at once. `--yes-all-at-once` accepts both; control planes then still go one at a time (see `inTurn`).
 */
export interface DisruptiveTargets {
  readonly controlPlanes: readonly string[];
  readonly others: readonly string[];
}

export async function guardDisruptive(
  ctx: CliContext,
  client: TalosClient,
  o: { readonly verb: string; readonly explicitNodes: boolean; readonly yesAllAtOnce?: boolean },
): Promise<DisruptiveTargets> {
  const roles = await Promise.all(client.nodes.map(async (n) => [n, await roleOf(client, n)] as const));
  const controlPlanes = roles.filter(([, r]) => r === "controlplane").map(([n]) => n);
  const others = roles.filter(([, r]) => r !== "controlplane").map(([n]) => n);
  ctx.stderr.write(
    `${o.verb} will touch ${client.nodes.length} node(s): ${roles.map(([n, r]) => `${n} (${r})`).join(", ")}\n`,
  );
  const problems: string[] = [];
  if (!o.explicitNodes && client.nodes.length > 1)
    problems.push(`the ${client.nodes.length} nodes come from the talosconfig, not from -n`);
  if (controlPlanes.length > 1)
    problems.push(`${controlPlanes.length} control planes (${controlPlanes.join(", ")}) would go down together`);
  if (problems.length === 0 || o.yesAllAtOnce) return { controlPlanes, others };
  if (
    await ask(
      ctx,
      `${o.verb} ${client.nodes.join(", ")}: ${problems.join("; ")}. Type 'yes' to go on (control planes one at a time): `,
    )
  ) {
    return { controlPlanes, others };
  }
  throw new TalformError(
    `refusing to ${o.verb} ${client.nodes.length} node(s) at once: ${problems.join("; ")}; nothing was touched`,
    {
      code: "all-at-once",
      exitCode: ExitCode.usage,
      hint: `name the node with -n (one at a time keeps etcd quorum and the workloads), or pass --yes-all-at-once; \`talform apply\` rolls out node by node`,
    },
  );
}

/** `controlplane`, `worker`, or `unknown` (its machine config cannot be read) — from the node's own config. */
async function roleOf(client: TalosClient, node: string): Promise<string> {
  try {
    const r = await client.getResource(node, "config", "MachineConfigs.config.talos.dev", "v1alpha1");
    const type =
      typeof r.spec === "string" ? /^\s*type:\s*(controlplane|worker|init)\s*$/m.exec(r.spec)?.[1] : undefined;
    return type === "init" ? "controlplane" : (type ?? "unknown");
  } catch {
    return "unknown";
  }
}

async function ask(ctx: CliContext, question: string): Promise<boolean> {
  if (!ctx.stdin || !(ctx.stdin as NodeJS.ReadStream).isTTY) return false;
  ctx.stderr.write(question);
  const rl = createInterface({ input: ctx.stdin });
  const answer = await new Promise<string>((r) => rl.once("line", r));
  rl.close();
  return answer.trim() === "yes";
}

/**
 * Control planes one at a time — each must come back and every etcd member be healthy before the next — then the
 * other nodes together. `force` skips the etcd check (as `upgrade --force` skips Talos's own).
 */
export async function inTurn<T>(
  ctx: CliContext,
  client: TalosClient,
  targets: DisruptiveTargets,
  o: { readonly force?: boolean },
  one: (nodes: readonly string[]) => Promise<NodeResult<T>[]>,
): Promise<NodeResult<T>[]> {
  const out: NodeResult<T>[] = [];
  for (const [i, cp] of targets.controlPlanes.entries()) {
    const r = await one([cp]);
    out.push(...r);
    if (r.some((x) => x.error)) {
      const rest = [...targets.controlPlanes.slice(i + 1), ...targets.others];
      if (rest.length > 0) ctx.stderr.write(`${cp} failed: stopped before ${rest.join(", ")} (not touched)\n`);
      return out;
    }
    if (o.force || i === targets.controlPlanes.length - 1) continue;
    const status = await client.etcdStatus(targets.controlPlanes);
    const bad = status.filter((s) => s.error);
    if (bad.length > 0) {
      throw new TalformError(
        `etcd is not healthy after ${cp}: ${bad.map((s) => `${s.node}: ${s.error!.error.message}`).join("; ")}; stopped before the next control plane`,
        {
          code: "etcd-unhealthy",
          hint: "check `talform etcd status` / `talform health`, then run the command again for the remaining nodes",
        },
      );
    }
    ctx.stderr.write(`etcd healthy after ${cp}; next control plane\n`);
  }
  if (targets.others.length > 0) out.push(...(await one(targets.others)));
  return out;
}

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { addNodeOptions, type NodeCommandOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

type RecoverOpts = NodeCommandOptions & {
  from: string;
  bootstrapNode?: string;
  force?: boolean;
  skipHashCheck?: boolean;
  dryRun?: boolean;
  timeout: number;
};

/** `talform recover --from SNAPSHOT`: Talos's etcd disaster recovery, step by step (docs/operations.md). */
export const defineRecover: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("recover")
    .description(
      "restore etcd from a snapshot on every control plane (reset EPHEMERAL, bootstrap one from the snapshot, the others join)",
    )
    .requiredOption("--from <snapshot>", "the snapshot file (talform etcd snapshot)")
    .option("--bootstrap-node <ip>", "the control plane that restores the snapshot (default: the first -n node)")
    .option("--force", "recover although etcd still has a healthy quorum (replaces its live data)")
    .option("--skip-hash-check", "accept a db copied from a member's disk (no sha256 trailer)")
    .option("--dry-run", "print the steps; change nothing")
    .option("--timeout <seconds>", "how long each wait may take", (v) => Number(v), 600);
  addNodeOptions(cmd).action(async (opts: RecoverOpts) => {
    const cli = await import("../node-client.js");
    const { recoverEtcd, recoverySteps, verifySnapshotForRecovery, describeSnapshot, RecoverRefused } =
      await import("../../etcd/index.js");
    const { TalformError } = await import("../../diagnostics/index.js");
    let snapshot: Uint8Array;
    try {
      snapshot = await readFile(resolve(ctx.cwd, opts.from));
    } catch (e) {
      throw new TalformError(`cannot read ${opts.from}: ${(e as Error).message}`, {
        code: "file-missing",
        hint: "pass --from with a snapshot written by talform etcd snapshot",
      });
    }
    await cli.withClient(ctx, opts, async (client) => {
      // The control planes: the nodes that run etcd (a talosconfig's node list may hold workers too).
      const services = await client.services();
      const controlPlanes = services.filter((r) => r.value?.some((s) => s.id === "etcd")).map((r) => r.node);
      const unreachable = services.filter((r) => r.error).map((r) => `${r.node} (${r.error!.message})`);
      if (unreachable.length > 0)
        throw new TalformError(`cannot reach ${unreachable.join(", ")}`, {
          code: "talos-api",
          hint: "every control plane must be up to recover; pass -n with the control planes' addresses",
        });
      if (controlPlanes.length === 0)
        throw new TalformError("none of the nodes runs etcd", {
          code: "usage",
          hint: "pass -n with the control planes' addresses",
        });
      const bootstrapNode = opts.bootstrapNode ?? controlPlanes[0]!;
      const o = {
        snapshot,
        snapshotPath: opts.from,
        controlPlanes,
        bootstrapNode,
        force: opts.force ?? false,
        skipHashCheck: opts.skipHashCheck ?? false,
        timeoutMs: opts.timeout * 1000,
      };
      try {
        if (opts.dryRun) {
          const info = verifySnapshotForRecovery(o);
          ctx.stdout.write(`snapshot: ${describeSnapshot(info)}\n`);
          recoverySteps(o).forEach((s, i) => ctx.stdout.write(`${i + 1}. ${s.label}\n`));
          ctx.stdout.write("dry run: nothing was changed\n");
          return;
        }
        // One client per control plane, each its own endpoint: they all reboot during the recovery.
        const direct = new Map<string, Awaited<ReturnType<typeof cli.clientFromOptions>>>();
        for (const n of controlPlanes)
          direct.set(n, await cli.clientFromOptions(ctx, { ...opts, endpoints: [n], nodes: [n] }));
        try {
          const r = await recoverEtcd(
            (n) => direct.get(n)!,
            o,
            (line) => void ctx.stdout.write(`${line}\n`),
          );
          ctx.stdout.write(
            `etcd recovered from ${opts.from}: ${r.members.length} healthy member(s): ${r.members.map((m) => m.hostname).join(", ")}\n`,
          );
        } finally {
          for (const c of direct.values()) c.close();
        }
      } catch (e) {
        if (e instanceof RecoverRefused) throw new TalformError(e.message, { code: "recover-refused", hint: e.hint });
        throw e;
      }
    });
  });
};

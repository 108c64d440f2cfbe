import { relative, resolve } from "node:path";
import { readFile } from "node:fs/promises";
import { addNodeOptions, type NodeCommandOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

type EtcdOpts = NodeCommandOptions & { dir?: string; cluster?: string; keep?: number };

/** `talform etcd snapshot|members|status|remove-member|leave|defrag|forfeit-leadership` (docs/operations.md). */
export const defineEtcd: CommandDefiner = (program, ctx) => {
  const etcd = program
    .command("etcd")
    .description("etcd of the control planes: snapshots, members, status, membership changes");
  const lib = async () => ({
    ...(await import("../../talosapi/index.js")),
    cli: await import("../node-client.js"),
    etcd: await import("../../etcd/index.js"),
    TE: (await import("../../diagnostics/index.js")).TalformError,
  });

  addNodeOptions(
    etcd
      .command("snapshot")
      .description("stream an etcd snapshot from one control plane, write it 0600, verify it (size, sha256, members)")
      .option("--dir <dir>", "folder for snapshots", ".talform/etcd-snapshots")
      .option("--cluster <name>", "cluster name in the file name (default: the talosconfig context's name)")
      .option("--keep <n>", "keep only the newest N snapshots of this cluster in --dir", (v) => Number(v)),
  ).action(async (opts: EtcdOpts) => {
    const { cli, etcd: e, TE } = await lib();
    if (opts.keep !== undefined && (!Number.isInteger(opts.keep) || opts.keep < 1))
      throw new TE("--keep needs a whole number ≥ 1", { code: "usage", exitCode: 64 });
    const cluster = opts.cluster ?? (await contextName(ctx, opts)) ?? "cluster";
    await cli.withClient(ctx, opts, async (client) => {
      const node = cli.singleNode(client, "etcd snapshot");
      const saved = await e.saveSnapshot(client, node, {
        dir: resolve(ctx.cwd, opts.dir ?? ".talform/etcd-snapshots"),
        cluster,
        now: new Date(),
        ...(opts.keep ? { keep: opts.keep } : {}),
      });
      const shown = relative(ctx.cwd, saved.path) || saved.path;
      cli.render(ctx, opts, ["NODE", "SNAPSHOT", "VERIFIED"], [[node, shown, e.describeSnapshot(saved.info)]], {
        node,
        path: shown,
        ...saved.info,
        pruned: saved.pruned,
      });
      for (const p of saved.pruned) ctx.stderr.write(`pruned ${relative(ctx.cwd, p) || p}\n`);
    });
  });

  addNodeOptions(
    etcd.command("members").description("list the etcd members with each member's health (as that member reports it)"),
  ).action(async (opts: EtcdOpts) => {
    const { cli, etcd: e } = await lib();
    await cli.withClient(ctx, opts, async (client) => {
      const node = client.nodes[0]!;
      const members = await e.membersWithHealth(client, node);
      cli.render(
        ctx,
        opts,
        ["NODE", "ID", "HOSTNAME", "PEER URLS", "CLIENT URLS", "LEARNER", "HEALTHY"],
        members.map((m) => [
          node,
          m.id,
          m.hostname,
          m.peerUrls.join(","),
          m.clientUrls.join(","),
          String(m.learner),
          m.healthy ? (m.leader ? "true (leader)" : "true") : `false: ${m.problem}`,
        ]),
        members,
      );
      if (members.some((m) => !m.healthy)) ctx.exitCode = 1;
    });
  });

  addNodeOptions(
    etcd.command("status").description("etcd status of each node's member (db size, leader, raft index)"),
  ).action(async (opts: EtcdOpts) => {
    const { cli, etcd: e } = await lib();
    await cli.withClient(ctx, opts, async (client) => {
      const ok = cli.reportNodeErrors(ctx, await client.etcdStatus());
      const rows = ok.map(({ node, value: s }) => {
        const inUse = s && s.dbSize > 0n ? ((Number(s.dbSizeInUse) / Number(s.dbSize)) * 100).toFixed(2) : "0";
        return [
          node,
          e.formatMemberId(s?.memberId ?? 0n),
          `${s?.dbSize ?? 0n}`,
          `${s?.dbSizeInUse ?? 0n} (${inUse}%)`,
          e.formatMemberId(s?.leader ?? 0n),
          `${s?.raftIndex ?? 0n}`,
          `${s?.raftTerm ?? 0n}`,
          `${s?.raftAppliedIndex ?? 0n}`,
          String(s?.isLearner ?? false),
          (s?.errors ?? []).join(", "),
        ];
      });
      cli.render(
        ctx,
        opts,
        [
          "NODE",
          "MEMBER",
          "DB SIZE",
          "IN USE",
          "LEADER",
          "RAFT INDEX",
          "RAFT TERM",
          "RAFT APPLIED INDEX",
          "LEARNER",
          "ERRORS",
        ],
        rows,
        ok,
      );
    });
  });

  addNodeOptions(
    etcd
      .command("remove-member <id>")
      .description(
        "remove a broken member by id (from `talform etcd members`), through another control plane; prefer `etcd leave` on a working node",
      )
      .option("--force", "remove even when the remaining members would not be a healthy quorum"),
  ).action(async (id: string, opts: EtcdOpts & { force?: boolean }) => {
    const { cli, etcd: e, TE } = await lib();
    let memberId: bigint;
    try {
      memberId = e.parseMemberId(id);
    } catch (err) {
      throw new TE((err as Error).message, { code: "usage", exitCode: 64 });
    }
    await cli.withClient(ctx, opts, async (client) => {
      const node = cli.singleNode(client, "etcd remove-member");
      const members = await e.membersWithHealth(client, node);
      const target = members.find((m) => m.id === e.formatMemberId(memberId));
      if (!target)
        throw new TE(
          `no etcd member ${e.formatMemberId(memberId)} (members: ${members.map((m) => `${m.id} ${m.hostname}`).join(", ")})`,
          { code: "not-found" },
        );
      const verdict = e.checkRemoval(members, [target.hostname]);
      if (verdict.error && !opts.force)
        throw new TE(`refusing to remove ${target.hostname}: ${verdict.error}`, {
          code: "etcd-quorum",
          hint: "bring the other members back first; --force removes anyway",
        });
      if (verdict.warning) ctx.stderr.write(`warning: ${verdict.warning}\n`);
      await client.etcdRemoveMemberById(node, memberId);
      ctx.stdout.write(`removed etcd member ${target.id} (${target.hostname})\n`);
    });
  });

  addNodeOptions(
    etcd
      .command("leave")
      .description(
        "make one control plane leave etcd (its etcd stops and its data is cleared); refused when the rest would lose quorum",
      )
      .option("--force", "leave even when the remaining members would not be a healthy quorum"),
  ).action(async (opts: EtcdOpts & { force?: boolean }) => {
    const { cli, etcd: e, TE } = await lib();
    await cli.withClient(ctx, opts, async (client) => {
      const node = cli.singleNode(client, "etcd leave");
      const members = await e.membersWithHealth(client, node);
      const me = e.memberOf(members, node);
      if (me) {
        const verdict = e.checkRemoval(members, [me.hostname]);
        if (verdict.error && !opts.force)
          throw new TE(`refusing: ${verdict.error}`, {
            code: "etcd-quorum",
            hint: "bring the other members back first; --force leaves anyway",
          });
        if (verdict.warning) ctx.stderr.write(`warning: ${verdict.warning}\n`);
      }
      await client.etcdLeaveCluster(node);
      ctx.stdout.write(`${me?.hostname ?? node} left the etcd cluster\n`);
    });
  });

  addNodeOptions(
    etcd.command("defrag").description("defragment one node's etcd database (resource heavy: one node at a time)"),
  ).action(async (opts: EtcdOpts) => {
    const { cli } = await lib();
    await cli.withClient(ctx, opts, async (client) => {
      const node = cli.singleNode(client, "etcd defrag");
      await client.etcdDefragment(node);
      ctx.stdout.write(`defragmented etcd on ${node}\n`);
    });
  });

  addNodeOptions(
    etcd.command("forfeit-leadership").description("make the nodes' members hand over etcd leadership if they hold it"),
  ).action(async (opts: EtcdOpts) => {
    const { cli } = await lib();
    await cli.withClient(ctx, opts, async (client) => {
      const ok = cli.reportNodeErrors(ctx, await client.fanOut((n) => client.etcdForfeitLeadership(n)));
      cli.render(
        ctx,
        opts,
        ["NODE", "NEW LEADER"],
        ok.map(({ node, value }) => [node, value || "(was not the leader)"]),
        ok,
      );
    });
  });
};

/** The talosconfig context's name: talosctl names contexts after the cluster. */
async function contextName(ctx: Parameters<CommandDefiner>[1], opts: NodeCommandOptions): Promise<string | undefined> {
  const { resolveTalosconfigPath } = await import("../node-client.js");
  const { parseTalosconfig, selectContext } = await import("../../talosapi/talosconfig.js");
  const path = resolveTalosconfigPath(ctx, opts.talosconfig);
  if (!path) return undefined;
  try {
    return selectContext(parseTalosconfig(await readFile(path, "utf8"), path), path, opts.context).name;
  } catch {
    return undefined;
  }
}

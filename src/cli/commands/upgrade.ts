import { addNodeOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

export const defineUpgrade: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("upgrade")
    .description(
      "upgrade Talos on nodes to an installer image (MachineService.Upgrade ≤ 1.12; ImageService + LifecycleService from 1.13)",
    )
    .requiredOption("--image <ref>", "installer image, e.g. factory.talos.dev/metal-installer/<schematic>:v1.13.9")
    .option("--stage", "stage the upgrade; it takes effect on the next reboot")
    .option("--force", "skip the etcd health check on control-plane nodes")
    .option("--wait", "wait for each node to reboot into the new version (a rollback is reported as an error)")
    .option("--timeout <seconds>", "with --wait: give up after this many seconds", (v) => Number(v), 1800)
    .option(
      "--yes-all-at-once",
      "accept more than one node from the talosconfig, or several control planes (they still go one at a time)",
    );
  addNodeOptions(cmd).action(async (opts) => {
    const [cli, guard] = await Promise.all([import("../node-client.js"), import("../node-guard.js")]);
    await cli.withClient(ctx, opts, async (client) => {
      const targets = await guard.guardDisruptive(ctx, client, {
        verb: "upgrade",
        explicitNodes: opts.nodes !== undefined,
        yesAllAtOnce: opts.yesAllAtOnce,
      });
      const common = { stage: opts.stage ?? false, force: opts.force ?? false };
      if (opts.wait || (targets.controlPlanes.length > 1 && !opts.stage)) {
        // Nodes go one at a time so a cluster never loses more than one node (and etcd quorum) at once; control
        // planes first, with every etcd member healthy before the next.
        const waitOne = async (nodes: readonly string[]) => {
          const out = [];
          for (const node of nodes)
            out.push(
              ...(await client.upgradeAndWait(opts.image, { ...common, timeoutMs: opts.timeout * 1000 }, [node])),
            );
          return out;
        };
        const results = await guard.inTurn(ctx, client, targets, { force: opts.force ?? false }, waitOne);
        const ok = cli.reportNodeErrors(ctx, results);
        cli.render(
          ctx,
          opts,
          ["NODE", "VERSION", "API"],
          ok.map(({ node, value }) => [node, value.version, value.api]),
          ok,
        );
        return;
      }
      const ok = cli.reportNodeErrors(ctx, await client.upgrade(opts.image, common));
      cli.render(
        ctx,
        opts,
        ["NODE", "ACK", "ACTOR"],
        ok.map(({ node, value }) => [node, value.ack, value.actorId]),
        ok,
      );
    });
  });
};

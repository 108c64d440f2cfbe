import { addNodeOptions } from "../../talosapi/cli-options.js";
import type { CommandDefiner } from "./index.js";

export const defineUpgrade: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("upgrade")
    .description("upgrade Talos on nodes to an installer image (MachineService.Upgrade ≤ 1.12; ImageService + LifecycleService from 1.13)")
    .requiredOption("--image <ref>", "installer image, e.g. factory.talos.dev/metal-installer/<schematic>:v1.13.9")
    .option("--stage", "stage the upgrade; it takes effect on the next reboot")
    .option("--force", "skip the etcd health check on control-plane nodes")
    .option("--wait", "wait for each node to reboot into the new version (a rollback is reported as an error)")
    .option("--timeout <seconds>", "with --wait: give up after this many seconds", (v) => Number(v), 1800);
  addNodeOptions(cmd).action(async (opts) => {
    const { cli } = await import("../../talosapi/index.js");
    await cli.withClient(ctx, opts, async (client) => {
      const common = { stage: opts.stage ?? false, force: opts.force ?? false };
      if (opts.wait) {
        // Nodes go one at a time so a cluster never loses more than one node (and etcd quorum) at once.
        const results = [];
        for (const node of client.nodes) results.push(...(await client.upgradeAndWait(opts.image, { ...common, timeoutMs: opts.timeout * 1000 }, [node])));
        const ok = cli.reportNodeErrors(ctx, results);
        cli.render(ctx, opts, ["NODE", "VERSION", "API"], ok.map(({ node, value }) => [node, value.version, value.api]), ok);
        return;
      }
      const ok = cli.reportNodeErrors(ctx, await client.upgrade(opts.image, common));
      cli.render(ctx, opts, ["NODE", "ACK", "ACTOR"], ok.map(({ node, value }) => [node, value.ack, value.actorId]), ok);
    });
  });
};

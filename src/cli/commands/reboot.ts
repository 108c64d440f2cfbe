import { Option } from "commander";
import { addNodeOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

export const defineReboot: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("reboot")
    .description("reboot nodes (Reboot RPC)")
    .addOption(new Option("-m, --mode <mode>", "reboot mode").choices(["default", "powercycle"]).default("default"))
    .option("--wait", "wait until each node is back (new boot id, running)")
    .option("--timeout <seconds>", "with --wait: give up after this many seconds", (v) => Number(v), 1800)
    .option(
      "--yes-all-at-once",
      "accept more than one node from the talosconfig, or several control planes (they still go one at a time)",
    );
  addNodeOptions(cmd).action(async (opts) => {
    const [cli, { RebootMode }, guard] = await Promise.all([
      import("../node-client.js"),
      import("../../talosapi/index.js"),
      import("../node-guard.js"),
    ]);
    await cli.withClient(ctx, opts, async (client) => {
      const targets = await guard.guardDisruptive(ctx, client, {
        verb: "reboot",
        explicitNodes: opts.nodes !== undefined,
        yesAllAtOnce: opts.yesAllAtOnce,
      });
      const mode = opts.mode === "powercycle" ? RebootMode.POWERCYCLE : RebootMode.DEFAULT;
      if (opts.wait || targets.controlPlanes.length > 1) {
        // Control planes one at a time (each back, etcd healthy) before the others, which go together.
        const waitAll = (nodes: readonly string[]) =>
          client.fanOut(async (node) => {
            const before = await client.bootId(node);
            const [r] = await client.reboot(mode, [node]);
            if (r!.error) throw r!.error.error;
            return {
              actorId: r!.value!,
              ...(await client.waitForReboot(node, before, { timeoutMs: opts.timeout * 1000 })),
            };
          }, nodes);
        const results = await guard.inTurn(ctx, client, targets, {}, waitAll);
        const ok = cli.reportNodeErrors(ctx, results);
        cli.render(
          ctx,
          opts,
          ["NODE", "BOOT ID", "VERSION"],
          ok.map(({ node, value }) => [node, value.bootId, value.version]),
          ok,
        );
        return;
      }
      const ok = cli.reportNodeErrors(ctx, await client.reboot(mode));
      cli.render(
        ctx,
        opts,
        ["NODE", "ACTOR"],
        ok.map(({ node, value }) => [node, value]),
        ok.map(({ node, value }) => ({ node, actorId: value })),
      );
    });
  });
};

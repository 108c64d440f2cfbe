import { addNodeOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

export const defineBootstrap: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("bootstrap")
    .description("bootstrap etcd on one control-plane node (Bootstrap RPC; once per cluster)");
  addNodeOptions(cmd).action(async (opts) => {
    const cli = await import("../node-client.js");
    await cli.withClient(ctx, opts, async (client) => {
      const node = cli.singleNode(client, "bootstrap");
      await client.bootstrap(node).catch((e: Error) => {
        throw new Error(`${node}: ${e.message}`, { cause: e });
      });
      ctx.stdout.write(`bootstrapped etcd on ${node}\n`);
    });
  });
};

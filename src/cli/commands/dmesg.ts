import { addNodeOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

export const defineDmesg: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("dmesg")
    .description("print the kernel log of each node (Dmesg RPC)")
    .option("-f, --follow", "keep streaming new lines")
    .option("--tail", "start at the end of the log");
  addNodeOptions(cmd).action(async (opts) => {
    const cli = await import("../node-client.js");
    await cli.withClient(ctx, opts, async (client) => {
      const prefix = client.nodes.length > 1;
      for (const node of client.nodes) {
        try {
          for await (const line of client.dmesg(node, { follow: opts.follow ?? false, tail: opts.tail ?? false })) {
            ctx.stdout.write(`${prefix ? `${node}: ` : ""}${Buffer.from(line).toString("utf8")}\n`);
          }
        } catch (e) {
          ctx.stderr.write(`error: ${node}: ${(e as Error).message}\n`);
          ctx.exitCode = 1;
        }
      }
    });
  });
};

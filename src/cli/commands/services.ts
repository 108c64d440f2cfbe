import { addNodeOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

export const defineServices: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("services")
    .description("list the Talos services of each node and their health (ServiceList RPC)")
    .argument("[id]", "show only this service");
  addNodeOptions(cmd).action(async (id: string | undefined, opts) => {
    const cli = await import("../node-client.js");
    await cli.withClient(ctx, opts, async (client) => {
      const ok = cli.reportNodeErrors(ctx, await client.services());
      const rows = ok.flatMap(({ node, value }) =>
        value
          .filter((s) => !id || s.id === id)
          .map((s) => ({
            node,
            id: s.id,
            state: s.state,
            health: s.health?.unknown ? "?" : s.health?.healthy ? "OK" : "Fail",
            message: s.health?.lastMessage ?? "",
          })),
      );
      if (id && rows.length === 0 && ok.length > 0) {
        ctx.stderr.write(`error: service "${id}" not found\n`);
        ctx.exitCode = 1;
      }
      cli.render(
        ctx,
        opts,
        ["NODE", "SERVICE", "STATE", "HEALTH", "LAST MESSAGE"],
        rows.map((r) => [r.node, r.id, r.state, r.health, r.message]),
        rows,
      );
    });
  });
};

import { addNodeOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

export const defineVersion: CommandDefiner = (program, ctx) => {
  const cmd = program.command("version").description("print the Talos version of each node (Version RPC)");
  addNodeOptions(cmd, { insecure: true }).action(async (opts) => {
    const cli = await import("../node-client.js");
    await cli.withClient(ctx, opts, async (client) => {
      const ok = cli.reportNodeErrors(ctx, await client.version());
      cli.render(
        ctx,
        opts,
        ["NODE", "TAG", "OS/ARCH", "PLATFORM"],
        ok.map(({ node, value }) => [
          node,
          value.version?.tag ?? "",
          `${value.version?.os ?? ""}/${value.version?.arch ?? ""}`,
          value.platform?.name ?? "",
        ]),
        ok.map(({ node, value }) => ({
          node,
          tag: value.version?.tag,
          sha: value.version?.sha,
          os: value.version?.os,
          arch: value.version?.arch,
          platform: value.platform?.name,
          mode: value.platform?.mode,
        })),
      );
    });
  });
};

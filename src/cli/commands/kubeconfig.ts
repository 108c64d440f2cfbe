import { resolve } from "node:path";
import { addNodeOptions } from "../node-options.js";
import { writeStateFile } from "../../util/state-dir.js";
import type { CommandDefiner } from "./index.js";
import { endpointNode } from "./endpoint-node.js";

export const defineKubeconfig: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("kubeconfig")
    .description("fetch the admin kubeconfig from a control-plane node (Kubeconfig RPC); written 0600")
    .argument("[path]", "where to write it; - for stdout", ".talform/kubeconfig");
  addNodeOptions(cmd).action(async (path: string, opts) => {
    const cli = await import("../node-client.js");
    await cli.withClient(ctx, opts, async (client) => {
      const node = endpointNode(ctx, opts, client) ?? cli.singleNode(client, "kubeconfig");
      const text = await client.kubeconfig(node);
      if (path === "-") ctx.stdout.write(text);
      else {
        const target = resolve(ctx.cwd, path);
        await writeStateFile(target, text);
        ctx.stdout.write(`wrote ${target}\n`);
      }
    });
  });
};

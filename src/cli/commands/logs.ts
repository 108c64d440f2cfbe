import { Option } from "commander";
import { addNodeOptions } from "../node-options.js";
import { TalformError } from "../../diagnostics/index.js";
import type { CommandDefiner } from "./index.js";

export const defineLogs: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("logs")
    .description("print a service's logs (Logs RPC); -k for Kubernetes containers")
    .argument(
      "<id>",
      "service id (e.g. kubelet, etcd) or, with -k, a container id (e.g. kube-system/kube-apiserver-cp1)",
    )
    .option("-k, --kubernetes", "the id names a Kubernetes container (k8s.io namespace, CRI)")
    .option("-f, --follow", "keep streaming new lines")
    .addOption(
      new Option("--tail <lines>", "only the last N lines (-1 = all)")
        .argParser((v) => Number.parseInt(v, 10))
        .default(-1),
    );
  addNodeOptions(cmd).action(async (id: string, opts) => {
    if (!Number.isInteger(opts.tail))
      throw new TalformError("--tail must be an integer", {
        code: "usage",
        hint: "e.g. --tail 100 (-1 = all)",
        exitCode: 64,
      });
    const cli = await import("../node-client.js");
    await cli.withClient(ctx, opts, async (client) => {
      const prefix = client.nodes.length > 1;
      // Chunks are not line-aligned: re-split per node so a prefix lands at the start of every line.
      await Promise.all(
        client.nodes.map(async (node) => {
          let rest = "";
          try {
            for await (const chunk of client.logs(node, id, {
              kubernetes: opts.kubernetes ?? false,
              follow: opts.follow ?? false,
              tail: opts.tail,
            })) {
              const lines = (rest + Buffer.from(chunk).toString("utf8")).split("\n");
              rest = lines.pop() ?? "";
              for (const l of lines) ctx.stdout.write(prefix ? `${node}: ${l}\n` : `${l}\n`);
            }
            if (rest) ctx.stdout.write(prefix ? `${node}: ${rest}\n` : `${rest}\n`);
          } catch (e) {
            ctx.stderr.write(`error: ${node}: ${(e as Error).message}\n`);
            ctx.exitCode = 1;
          }
        }),
      );
    });
  });
};

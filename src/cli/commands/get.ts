import { addNodeOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

export const defineGet: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("get")
    .description(
      "list COSI resources of each node (e.g. members, extensions, machinestatus, addresses, routes, resolvers)",
    )
    .argument("<type>", "resource type or alias")
    .argument("[id]", "only this resource")
    .option("--namespace <ns>", "resource namespace (default: the type's default namespace)");
  addNodeOptions(cmd, { insecure: true }).action(async (typeName: string, id: string | undefined, opts) => {
    const cli = await import("../node-client.js");
    await cli.withClient(ctx, opts, async (client) => {
      const { type, defaultNamespace } = await client.resolveResourceType(client.nodes[0]!, typeName);
      const namespace = opts.namespace ?? defaultNamespace;
      const results = await client.fanOut(async (node) =>
        id ? [await client.getResource(node, namespace, type, id)] : await client.listResources(node, namespace, type),
      );
      const ok = cli.reportNodeErrors(ctx, results);
      const rows = ok.flatMap(({ node, value }) => value.map((r) => ({ node, ...r })));
      cli.render(
        ctx,
        opts,
        ["NODE", "NAMESPACE", "TYPE", "ID", "VERSION"],
        rows.map((r) => [r.node, r.namespace, r.type.split(".")[0] ?? r.type, r.id, r.version]),
        rows,
      );
    });
  });
};

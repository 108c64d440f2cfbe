import { addNodeOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

export const defineHealth: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("health")
    .description(
      "check the cluster: the node-side HealthCheck plus apid, services, etcd, boot, time and Kubernetes nodes (exit 1 when unhealthy)",
    )
    .option(
      "-c, --config <file>",
      "talconfig.yaml: check its nodes with their roles (default ./talconfig.yaml when present)",
    )
    .option("--wait-timeout <duration>", "how long to wait for the cluster to become healthy (e.g. 30s, 5m)", "5m");
  addNodeOptions(cmd).action(
    async (opts: {
      config?: string;
      waitTimeout: string;
      nodes?: string[];
      json?: boolean;
      output?: "table" | "json" | "yaml";
      talosconfig?: string;
      context?: string;
      endpoints?: string[];
    }) => {
      const [cli, doctor, support] = await Promise.all([
        import("../node-client.js"),
        import("../../doctor/index.js"),
        import("../doctor-support.js"),
      ]);
      const waitTimeoutMs = support.parseDuration(opts.waitTimeout);
      const format = cli.outputFormat(opts);
      const { stringify } = await import("yaml");
      const { target, talconfig } = await support.resolveTarget(ctx, opts);
      await cli.withClient(ctx, { ...opts, ...(target ? { nodes: [...target.nodes] } : {}) }, async (client) => {
        const result = await doctor.runHealth(client, target ?? { nodes: client.nodes, expected: [] }, {
          waitTimeoutMs,
          env: ctx.env,
          ...(format !== "table" ? {} : { onLine: (line: string) => ctx.stderr.write(`${line}\n`) }),
        });
        if (format === "json") ctx.stdout.write(JSON.stringify(result, null, 2) + "\n");
        else if (format === "yaml") ctx.stdout.write(stringify(result));
        else {
          const nodeSide =
            result.nodeSide.error === undefined
              ? `OK    node-side HealthCheck${result.nodeSide.node ? ` (via ${result.nodeSide.node})` : ""}`
              : `FAIL  node-side HealthCheck${result.nodeSide.node ? ` (via ${result.nodeSide.node})` : ""}: ${result.nodeSide.error}`;
          ctx.stdout.write(
            `${nodeSide}\n${doctor.formatHealth(result.checks)}${result.healthy ? "cluster is healthy\n" : "cluster is NOT healthy (run talform doctor for causes and fixes)\n"}`,
          );
        }
        if (!result.healthy) ctx.exitCode = 1;
        // Nodes talform left cordoned, an unfinished apply: from the journal beside talconfig.yaml.
        const journal = talconfig
          ? await (await import("../rollout-unfinished.js")).journalWarningsFor(talconfig.path)
          : "";
        if (journal && format === "table") ctx.stdout.write(journal);
        if (journal) ctx.exitCode = 1;
      });
    },
  );
};

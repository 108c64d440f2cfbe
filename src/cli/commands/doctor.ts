import { resolve } from "node:path";
import { addNodeOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

export const defineDoctor: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("doctor")
    .description(
      "find what is wrong with the cluster and say how to fix it: config not applied, missing extensions/GPU, network, failing services, credentials, version skew (exit 1 on errors; warnings too with --strict)",
    )
    .option("-c, --config <file>", "talconfig.yaml the cluster should match (default ./talconfig.yaml when present)")
    .option("--strict", "exit 1 on warnings too")
    .option(
      "-s, --secrets <file>",
      "secrets bundle to check against the cluster's OS CA (default talsecret.sops.yaml beside talconfig.yaml)",
    );
  addNodeOptions(cmd).action(
    async (opts: {
      config?: string;
      secrets?: string;
      strict?: boolean;
      nodes?: string[];
      json?: boolean;
      output?: "table" | "json" | "yaml";
      talosconfig?: string;
      context?: string;
      endpoints?: string[];
    }) => {
      const [cli, doctor, support, { createSopsDecryptor }] = await Promise.all([
        import("../node-client.js"),
        import("../../doctor/index.js"),
        import("../doctor-support.js"),
        import("../../sops/index.js"),
      ]);
      const { target, talconfig } = await support.resolveTarget(ctx, opts);
      const talosconfigPath = cli.resolveTalosconfigPath(ctx, opts.talosconfig);
      const decryptor = createSopsDecryptor({ ...ctx.env });
      // Drift is judged against what genconfig renders now (in memory, written nowhere); without the secrets or an age
      // key to render, the files in clusterconfig/ are the reference.
      const render = talconfig ? await support.renderForDoctor(ctx, talconfig, decryptor, opts.secrets) : undefined;
      const local = await doctor.gatherLocalState({
        cwd: ctx.cwd,
        expected: target?.expected ?? [],
        ...(talconfig ? { talconfig } : {}),
        ...(talosconfigPath ? { talosconfigPath } : {}),
        ...(opts.context ? { talosconfigContext: opts.context } : {}),
        ...(opts.secrets ? { secretsFile: resolve(ctx.cwd, opts.secrets) } : {}),
        decryptor,
        ...(render?.renderNode ? { renderNode: render.renderNode } : {}),
      });
      const notes = [...(render?.note ? [render.note] : []), ...(local.notes ?? [])];
      await cli.withClient(ctx, { ...opts, ...(target ? { nodes: [...target.nodes] } : {}) }, async (client) => {
        const { findings } = await doctor.runDoctor(
          client,
          target ?? { nodes: client.nodes, expected: [] },
          local,
          ctx.env,
          new Date(),
        );
        const format = cli.outputFormat(opts);
        const data = { findings, notes };
        if (format === "json") ctx.stdout.write(JSON.stringify(data, null, 2) + "\n");
        else if (format === "yaml") ctx.stdout.write((await import("yaml")).stringify(data));
        else ctx.stdout.write(doctor.formatFindings(findings, notes));
        // Warnings (e.g. clusterconfig-stale) are advice: they fail the run only when asked to.
        if (findings.some((f) => f.severity === "error" || opts.strict)) ctx.exitCode = 1;
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

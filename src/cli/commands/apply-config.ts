import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Option } from "commander";
import { addNodeOptions } from "../node-options.js";
import { TalformError } from "../../diagnostics/index.js";
import type { CommandDefiner } from "./index.js";

const MODES = ["auto", "no-reboot", "reboot", "staged", "try"] as const;

export const defineApplyConfig: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("apply-config")
    .description(
      "apply a machine configuration to nodes (ApplyConfiguration RPC); --insecure for nodes in maintenance mode",
    )
    .requiredOption("--file <path>", "machine configuration file")
    .addOption(new Option("-m, --mode <mode>", "how to apply").choices(MODES).default("auto"))
    .option("--dry-run", "only report what would change")
    .option("--timeout <seconds>", "try mode: revert after this many seconds (default 60)", (v) => Number(v))
    .option(
      "--yes-all-at-once",
      "with --mode reboot: accept more than one node from the talosconfig, or several control planes at once",
    );
  addNodeOptions(cmd, { insecure: true }).action(async (opts) => {
    const [cli, { ApplyMode }, guard] = await Promise.all([
      import("../node-client.js"),
      import("../../talosapi/index.js"),
      import("../node-guard.js"),
    ]);
    let data: Buffer;
    try {
      data = await readFile(resolve(ctx.cwd, opts.file));
    } catch (e) {
      throw new TalformError(`cannot read ${opts.file}: ${(e as Error).message}`, {
        code: "apply-config",
        hint: "render the configs with `talform genconfig` and pass one with -f clusterconfig/<cluster>-<node>.yaml",
      });
    }
    const mode = {
      auto: ApplyMode.AUTO,
      "no-reboot": ApplyMode.NO_REBOOT,
      reboot: ApplyMode.REBOOT,
      staged: ApplyMode.STAGED,
      try: ApplyMode.TRY,
    }[opts.mode as (typeof MODES)[number]];
    await cli.withClient(ctx, opts, async (client) => {
      // A reboot takes the nodes down: the same rules as upgrade and reboot (a first install is not guarded).
      if (opts.mode === "reboot" && !opts.dryRun && !client.maintenance) {
        await guard.guardDisruptive(ctx, client, {
          verb: "apply-config --mode reboot",
          explicitNodes: opts.nodes !== undefined,
          yesAllAtOnce: opts.yesAllAtOnce,
        });
      }
      const results = await client.applyConfiguration(data, {
        mode,
        dryRun: opts.dryRun ?? false,
        ...(opts.timeout !== undefined ? { tryTimeoutMs: opts.timeout * 1000 } : {}),
      });
      const ok = cli.reportNodeErrors(ctx, results);
      const rows = ok.map(({ node, value }) => ({
        node,
        mode: value.modeDetails || (client.maintenance ? "Applied configuration; the node installs and reboots" : ""),
        warnings: value.warnings,
      }));
      for (const r of rows) for (const w of r.warnings) ctx.stderr.write(`warning: ${r.node}: ${w}\n`);
      cli.render(
        ctx,
        opts,
        ["NODE", "RESULT"],
        rows.map((r) => [r.node, r.mode]),
        rows,
      );
    });
  });
};

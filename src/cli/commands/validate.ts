import { relative, resolve } from "node:path";
import { ExitCode } from "../../diagnostics/index.js";
import type { CommandDefiner } from "./index.js";

const collect = (value: string, previous: string[]) => [...previous, value];

export const defineValidate: CommandDefiner = (program, ctx) => {
  program
    .command("validate")
    .description("check talconfig.yaml: strict schema, env substitution, group merge and the policy rules")
    .option("-c, --config <file>", "talconfig.yaml to check", "talconfig.yaml")
    .option("-e, --env-file <file>", "env file with KEY=value lines (repeatable; default: talenv.yaml, talenv.sops.yaml, ... beside the config)", collect, [])
    .option("--no-substitute", "do not substitute ${VAR} references")
    .option("--disable <rule>", "skip a policy rule (repeatable; see docs/validate.md)", collect, [])
    .option("--json", "print the findings as JSON")
    .option("-o, --out-dir <dir>", "genconfig output folder checked for staleness", "./clusterconfig")
    .action(async (opts: { config: string; envFile: string[]; substitute: boolean; disable: string[]; json?: boolean; outDir: string }) => {
      const { runValidate, buildReport, renderReportJson, renderReportText } = await import("../../talconfig/index.js");
      const path = resolve(ctx.cwd, opts.config);
      const { loaded, diagnostics } = await runValidate({
        path,
        substitute: opts.substitute,
        env: ctx.env,
        disable: opts.disable,
        ...(opts.envFile.length > 0 ? { envFiles: opts.envFile.map((f) => resolve(ctx.cwd, f)) } : {}),
      });
      const display = (f: string) => {
        const rel = relative(ctx.cwd, f);
        return rel.startsWith("..") ? f : rel;
      };
      // Policy-like finding: clusterconfig rendered from other inputs than the current ones.
      const { clusterconfigStaleness } = await import("../../genconfig/index.js");
      const stale = loaded.config && !opts.disable.includes("clusterconfig-stale") ? await clusterconfigStaleness(loaded, resolve(ctx.cwd, opts.outDir)) : undefined;
      const findings =
        stale && stale.length > 0
          ? [
              ...diagnostics,
              {
                severity: "warning" as const,
                code: "clusterconfig-stale",
                message: `clusterconfig is stale — run genconfig (${stale.join(", ")})`,
                hint: "run `talform genconfig` to render the configs from the current inputs",
                source: { file: path, line: 1, col: 1 },
              },
            ]
          : diagnostics;
      const report = buildReport(findings);
      ctx.stdout.write(opts.json ? renderReportJson(report, display) : renderReportText(report, { display, subject: display(path), nodeCount: loaded.nodes.length, nodeOrder: loaded.nodes.map((n) => n.hostname) }));
      if (!report.valid) ctx.exitCode = ExitCode.userError;
    });
};

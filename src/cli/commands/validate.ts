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
    .action(async (opts: { config: string; envFile: string[]; substitute: boolean; disable: string[]; json?: boolean }) => {
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
      const report = buildReport(diagnostics);
      ctx.stdout.write(opts.json ? renderReportJson(report, display) : renderReportText(report, { display, subject: display(path), nodeCount: loaded.nodes.length, nodeOrder: loaded.nodes.map((n) => n.hostname) }));
      if (!report.valid) ctx.exitCode = ExitCode.userError;
    });
};

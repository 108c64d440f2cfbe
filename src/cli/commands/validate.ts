import { readFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { secretBearingReason } from "../../util/secret-files.js";
import { DEFAULT_TALOS_VERSION } from "../../contract/index.js";
import { ExitCode, type Diagnostic } from "../../diagnostics/index.js";
import type { LoadedTalconfig } from "../../talconfig/index.js";
import type { CliContext } from "../context.js";
import type { CommandDefiner } from "./index.js";
import { sopsCreationRuleLookup, sopsDecryptor, sopsRecipientFindings } from "./talconfig-input.js";

const collect = (value: string, previous: string[]) => [...previous, value];

export const defineValidate: CommandDefiner = (program, ctx) => {
  program
    .command("validate")
    .description("check talconfig.yaml: strict schema, env substitution, group merge and the policy rules")
    .option("-c, --config <file>", "talconfig.yaml to check", "talconfig.yaml")
    .option(
      "--env-file <file>",
      "env file with KEY=value lines (repeatable; default: talenv.yaml, talenv.sops.yaml, ... beside the config)",
      collect,
      [],
    )
    .option("--no-substitute", "do not substitute ${VAR} references")
    .option("--disable <rule>", "skip a policy rule (repeatable; see docs/validate.md)", collect, [])
    .option("--json", "print the findings as JSON")
    .option("--out-dir <dir>", "genconfig output folder checked for staleness", "./clusterconfig")
    .action(
      async (opts: {
        config: string;
        envFile: string[];
        substitute: boolean;
        disable: string[];
        json?: boolean;
        outDir: string;
      }) => {
        const path = resolve(ctx.cwd, opts.config);
        const { diagnostics, loaded } = await validateWithFactory(ctx, path, opts);
        const display = (f: string) => {
          const rel = relative(ctx.cwd, f);
          return rel.startsWith("..") ? f : rel;
        };
        const { buildReport, renderReportJson, renderReportText } = await import("../../talconfig/index.js");
        // Policy-like finding: clusterconfig rendered from other inputs than the current ones.
        const { clusterconfigStaleness } = await import("../../genconfig/index.js");
        const stale =
          loaded.config && !opts.disable.includes("clusterconfig-stale")
            ? await clusterconfigStaleness(loaded, resolve(ctx.cwd, opts.outDir))
            : undefined;
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
        ctx.stdout.write(
          opts.json
            ? renderReportJson(report, display)
            : renderReportText(report, {
                display,
                subject: display(path),
                nodeCount: loaded.nodes.length,
                nodeOrder: loaded.nodes.map((n) => n.hostname),
              }),
        );
        if (!report.valid) ctx.exitCode = ExitCode.userError;
      },
    );
};

/**
 * `runValidate` with what the other stages know: SOPS decryption (talenv.sops.yaml), sops's own creation-rule lookup,
 * the Image Factory extension catalogue for the cluster's Talos version, and the schematic checks of src/factory.
 */
async function validateWithFactory(
  ctx: CliContext,
  path: string,
  opts: { envFile: string[]; substitute: boolean; disable: string[] },
): Promise<{ loaded: LoadedTalconfig; diagnostics: Diagnostic[] }> {
  const talconfig = await import("../../talconfig/index.js");
  const factory = await import("../../factory/index.js");
  const { sortDiagnostics } = await import("../../diagnostics/index.js");
  const loaded = await talconfig.loadTalconfig({
    path,
    substitute: opts.substitute,
    env: ctx.env,
    decryptor: await sopsDecryptor(ctx),
    ...(opts.envFile.length > 0 ? { envFiles: opts.envFile.map((f) => resolve(ctx.cwd, f)) } : {}),
  });
  const files = talconfig.nodeFileAccess();
  const settings = talconfig.loadTalformSettings(loaded.dir, files.read);
  const sopsCreationRuleFor = await sopsCreationRuleLookup(loaded.dir);
  const talosVersion = loaded.nodes[0]?.talosVersion ?? DEFAULT_TALOS_VERSION;
  const policy = talconfig.validateTalconfig(loaded, {
    talconfigDir: loaded.dir,
    files,
    disabledRules: new Set([...settings.disabledRules, ...opts.disable]),
    knownExtensions: factory.officialExtensions(talosVersion),
    ...(sopsCreationRuleFor ? { sopsCreationRuleFor } : {}),
  });
  let schematics: Diagnostic[] = [];
  if (loaded.config !== undefined) {
    const text = await readFile(path, "utf8");
    schematics = factory.talconfigSchematicDiagnostics(
      loaded,
      factory.substitutedTalconfigText(loaded, text, opts.substitute),
    );
  }
  const recipients = await sopsRecipientFindings(loaded.dir);
  const tracked = opts.disable.includes("secret-file-tracked") ? [] : trackedSecretFiles(loaded.dir);
  return {
    loaded,
    diagnostics: sortDiagnostics([
      ...loaded.diagnostics,
      ...settings.diagnostics,
      ...policy,
      ...schematics,
      ...recipients,
      ...tracked,
    ]),
  };
}

// The environment variables that make git use a repository other than the one it discovers from its folder.
const GIT_LOCATION_ENV = ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR"];

/**
 * Whether `git ls-files` could find a work tree for `dir`: a `.git` in it or a folder above it (as git discovers
 * one), or settings that point git at a repository elsewhere. Saves starting git where it would only fail.
 */
function mayBeInGitWorkTree(dir: string): boolean {
  if (GIT_LOCATION_ENV.some((k) => process.env[k] !== undefined)) return true;
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, ".git"))) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * Secret-bearing files beside talconfig.yaml that git tracks (`git ls-files`); none outside a repository or without
 * git. The file stays in the history even after `git rm --cached`, hence the hint to rotate.
 */
function trackedSecretFiles(dir: string): Diagnostic[] {
  if (!mayBeInGitWorkTree(dir)) return [];
  const r = spawnSync("git", ["ls-files", "-z", "--", "."], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  if (r.status !== 0 || typeof r.stdout !== "string") return [];
  return r.stdout
    .split("\0")
    .filter((p) => p !== "")
    .flatMap((p): Diagnostic[] => {
      const why = secretBearingReason(p);
      if (!why) return [];
      return [
        {
          severity: "warning",
          code: "secret-file-tracked",
          message: `git tracks ${p}: ${why}`,
          hint: `git rm --cached ${p} (talform init writes a .gitignore for it); it stays in the history, so rotate what it holds`,
          source: { file: join(dir, p), line: 1, col: 1 },
        },
      ];
    });
}

import { resolve } from "node:path";
import { TalformError } from "../../diagnostics/index.js";
import { hiddenAlias } from "../aliases.js";
import type { CommandDefiner } from "./index.js";

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--crt-ttl`: Go duration (`8760h`, `720h30m`) or days (`365d`). */
function parseTtl(text: string): number {
  const days = /^(\d+)d$/.exec(text);
  if (days) return Number(days[1]) * 24 * 3600 * 1000;
  const units: Record<string, number> = { h: 3600e3, m: 60e3, s: 1e3 };
  const parts = [...text.matchAll(/(\d+)([hms])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new TalformError(`--crt-ttl "${text}" is not a duration`, {
      code: "usage",
      hint: "write e.g. 8760h or 365d",
    });
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * units[p[2]!]!, 0);
}

export const defineGenconfig: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("genconfig")
    .description(
      "render every node's Talos machine config, the talosconfig and .gitignore from talconfig.yaml (all or nothing)",
    )
    .option("-c, --config <file>", "talconfig.yaml", "talconfig.yaml")
    .option("--out-dir <dir>", "output folder", "./clusterconfig")
    .option(
      "-s, --secrets <file>",
      "secrets bundle (SOPS-encrypted or plain); default: talsecret.sops.yaml, talsecret.yaml, … in the current folder",
    )
    .option(
      "--env-file <file>",
      "env file (repeatable; default: talenv.yaml, talenv.sops.yaml, … beside the config)",
      collect,
      [],
    )
    .option("--talos-mode <mode>", "validation mode: metal, cloud or container", "metal")
    .option(
      "--dry-run",
      "print a per-node, per-document diff against the existing files (secrets redacted); write nothing",
    )
    .option("--no-gitignore", "do not write .gitignore")
    .option("--regenerate-cert", "issue a new admin client certificate even when the existing one is still valid")
    .option("--crt-ttl <duration>", "validity of a new admin client certificate (e.g. 8760h, 365d)", "8760h");
  hiddenAlias(cmd, "--secret-file <file>", "secrets").action(
    async (opts: {
      config: string;
      outDir: string;
      secrets?: string;
      envFile: string[];
      talosMode: string;
      dryRun?: boolean;
      gitignore: boolean;
      regenerateCert?: boolean;
      crtTtl: string;
    }) => {
      if (!["metal", "cloud", "container"].includes(opts.talosMode)) {
        throw new TalformError(`--talos-mode "${opts.talosMode}" is not a mode`, {
          code: "usage",
          hint: "use metal, cloud or container",
        });
      }
      const { runGenconfig } = await import("../../genconfig/index.js");
      const { createSopsDecryptor } = await import("../../sops/index.js");
      const result = await runGenconfig({
        decryptor: createSopsDecryptor({ ...ctx.env }),
        configPath: resolve(ctx.cwd, opts.config),
        outDir: opts.outDir,
        cwd: ctx.cwd,
        env: ctx.env,
        mode: opts.talosMode as "metal" | "cloud" | "container",
        crtTtlMs: parseTtl(opts.crtTtl),
        gitignore: opts.gitignore,
        ...(opts.secrets ? { secretsFile: opts.secrets } : {}),
        ...(opts.envFile.length > 0 ? { envFiles: opts.envFile.map((f) => resolve(ctx.cwd, f)) } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(opts.regenerateCert ? { regenerateCert: true } : {}),
      });
      for (const w of result.generated.warnings) ctx.stderr.write(`warning: ${w.message}\n`);
      ctx.stdout.write(result.report);
    },
  );
};

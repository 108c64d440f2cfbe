import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { hiddenAlias } from "../aliases.js";
import type { CommandDefiner } from "./index.js";

const DEFAULT_SECRETS_FILE = "talsecret.sops.yaml";

/**
 * In a folder `talform init` set up (talconfig.yaml, a .sops.yaml rule for talsecret.sops.yaml, no bundle yet — or
 * the empty file a shell redirect just created), the bundle goes straight into talsecret.sops.yaml, encrypted:
 * plaintext secrets never reach a terminal or a file. Anywhere else gensecret prints, as talhelper does.
 */
async function defaultsToSecretsFile(dir: string): Promise<boolean> {
  const sops = await import("../../sops/index.js");
  const target = join(dir, DEFAULT_SECRETS_FILE);
  if (!existsSync(join(dir, "talconfig.yaml")) || (existsSync(target) && statSync(target).size > 0)) return false;
  const config = await sops.findSopsConfig(dir, { readFile: sops.readOptionalFile }).catch(() => undefined);
  try {
    return config !== undefined && sops.creationRuleFor(config, target) !== undefined;
  } catch {
    return false;
  }
}

interface GensecretOptions {
  talosVersion?: string;
  out?: string;
  force?: boolean;
  plaintext?: boolean;
}

export const defineGensecret: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("gensecret")
    .description("generate a new Talos secrets bundle; with -o it is encrypted with the matching .sops.yaml rule before it touches disk")
    .option("--talos-version <vX.Y>", "Talos version contract the bundle is made for (default: talform's default Talos version)")
    .option("--out <file>", "write to this file (sops-encrypted); - for stdout. Default beside a talconfig.yaml whose .sops.yaml covers it: talsecret.sops.yaml when missing, else stdout")
    .option("--force", "overwrite an existing file, keeping a timestamped encrypted backup next to it")
    .option("--plaintext", "with --out: write the bundle unencrypted (not recommended)");
  hiddenAlias(cmd, "--output <file>", "out").action(async (opts: GensecretOptions) => {
      const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
      const { contractFor, DEFAULT_TALOS_VERSION } = await import("../../contract/index.js");
      const { generateSecretsBundle, serializeSecretsBundle, writeSecretsFile } = await import("../../secrets/index.js");

      const version = opts.talosVersion ?? DEFAULT_TALOS_VERSION;
      const contract = contractFor(version);
      if (!contract) throw new TalformError(`--talos-version ${version} is not a Talos version`, { hint: "use the form v1.13 or v1.13.9", exitCode: ExitCode.usage });
      if (!contract.supported) ctx.stderr.write(`warning: talform supports Talos v1.10–v1.14; generating a bundle for the ${contract.name} contract anyway\n`);
      if (opts.plaintext && !opts.out) throw new TalformError("--plaintext needs --out FILE (stdout is always plaintext)", { code: "usage", hint: "add --out talsecret.yaml, or drop --plaintext", exitCode: ExitCode.usage });

      if (opts.out === undefined && (await defaultsToSecretsFile(ctx.cwd))) opts.out = DEFAULT_SECRETS_FILE;
      if (opts.out === "-") delete opts.out;
      if (!opts.out) {
        // talhelper prints the bundle with 2-space indentation for piping into `sops -e`.
        ctx.stdout.write(serializeSecretsBundle(await generateSecretsBundle(contract), { indent: 2 }));
        return;
      }

      const target = resolve(ctx.cwd, opts.out);
      const result = await writeSecretsFile({ target, displayName: opts.out, contract, force: opts.force, plaintext: opts.plaintext });
      if (result.backup) ctx.stderr.write(`kept the previous bundle as ${result.backup}\n`);
      if (result.encrypted) {
        ctx.stderr.write(`wrote ${opts.out} (Talos ${contract.name}), sops-encrypted for ${result.recipients} age recipient${result.recipients === 1 ? "" : "s"}\n`);
      } else {
        ctx.stderr.write(`wrote ${opts.out} UNENCRYPTED (Talos ${contract.name}); encrypt it before committing it\n`);
      }
    });
};

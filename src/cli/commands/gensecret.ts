import { existsSync, statSync } from "node:fs";
import { access } from "node:fs/promises";
import { join, resolve } from "node:path";
import { hiddenAlias } from "../aliases.js";
import type { TalosContract } from "../../contract/index.js";
import type { CliContext } from "../context.js";
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
  config: string;
  out?: string;
  force?: boolean;
  plaintext?: boolean;
}

export const defineGensecret: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("gensecret")
    .description(
      "generate a new Talos secrets bundle; with -o it is encrypted with the matching .sops.yaml rule before it touches disk",
    )
    .option(
      "--talos-version <vX.Y>",
      "Talos version contract the bundle is made for (default: talosVersion in the talconfig, else talform's default)",
    )
    .option(
      "-c, --config <file>",
      "talconfig.yaml whose talosVersion the bundle follows when it exists",
      "talconfig.yaml",
    )
    .option(
      "--out <file>",
      "write to this file (sops-encrypted); - for stdout. Default beside a talconfig.yaml whose .sops.yaml covers it: talsecret.sops.yaml when missing, else stdout",
    )
    .option("--force", "overwrite an existing file, keeping a timestamped encrypted backup next to it")
    .option("--plaintext", "with --out: write the bundle unencrypted (not recommended)");
  hiddenAlias(cmd, "--output <file>", "out").action(async (opts: GensecretOptions) => {
    const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
    const { contractFor, SUPPORTED_TALOS_RANGE } = await import("../../contract/index.js");
    const lib = await import("../../secrets/index.js");
    const { generateSecretsBundle, serializeSecretsBundle, writeSecretsFile } = lib;
    const generate = ctx.generateSecrets ?? ((c: TalosContract) => generateSecretsBundle(c));

    const choice = lib.chooseBundleVersion(
      opts.talosVersion,
      opts.talosVersion === undefined ? await talconfigVersion(ctx, opts.config) : undefined,
    );
    const contract = contractFor(choice.version);
    if (!contract) {
      const where = choice.from === "flag" ? "--talos-version" : `talosVersion in ${choice.file}`;
      throw new TalformError(`${where}: "${choice.version}" is not a Talos version`, {
        hint: "use the form v1.13 or v1.13.9",
        exitCode: ExitCode.usage,
      });
    }
    ctx.stderr.write(`making the bundle for ${lib.describeBundleVersionChoice(choice)}\n`);
    if (!contract.supported)
      ctx.stderr.write(
        `warning: talform supports Talos ${SUPPORTED_TALOS_RANGE}; generating a bundle for the ${contract.name} contract anyway\n`,
      );
    if (opts.plaintext && !opts.out)
      throw new TalformError("--plaintext needs --out FILE (stdout is always plaintext)", {
        code: "usage",
        hint: "add --out talsecret.yaml, or drop --plaintext",
        exitCode: ExitCode.usage,
      });

    if (opts.out === undefined && (await defaultsToSecretsFile(ctx.cwd))) opts.out = DEFAULT_SECRETS_FILE;
    if (opts.out === "-") delete opts.out;
    if (!opts.out) {
      // talhelper prints the bundle with 2-space indentation for piping into `sops -e`.
      ctx.stdout.write(serializeSecretsBundle(await generate(contract), { indent: 2 }));
      return;
    }

    const target = resolve(ctx.cwd, opts.out);
    const result = await writeSecretsFile({
      target,
      displayName: opts.out,
      contract,
      generate,
      force: opts.force,
      plaintext: opts.plaintext,
    });
    if (result.backup) ctx.stderr.write(`kept the previous bundle as ${result.backup}\n`);
    if (result.encrypted) {
      ctx.stderr.write(
        `wrote ${opts.out} (Talos ${contract.name}), sops-encrypted for ${result.recipients} age recipient${result.recipients === 1 ? "" : "s"}\n`,
      );
    } else {
      ctx.stderr.write(`wrote ${opts.out} UNENCRYPTED (Talos ${contract.name}); encrypt it before committing it\n`);
    }
  });
};

/**
 * The talconfig's `talosVersion` (after `${VAR}` substitution from its env files), or undefined when there is no such
 * file at the default path. An explicit `-c` that does not exist, or a talconfig that cannot be read, is an error.
 */
async function talconfigVersion(
  ctx: CliContext,
  config: string,
): Promise<{ file: string; talosVersion: string | undefined } | undefined> {
  const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
  const path = resolve(ctx.cwd, config);
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (!exists) {
    if (config === "talconfig.yaml") return undefined;
    throw new TalformError(`-c ${config}: no such file`, {
      hint: "give an existing talconfig.yaml, or --talos-version",
      exitCode: ExitCode.usage,
    });
  }
  const { loadTalconfig } = await import("../../talconfig/index.js");
  const { createSopsDecryptor } = await import("../../sops/index.js");
  const loaded = await loadTalconfig({ path, env: ctx.env, decryptor: createSopsDecryptor({ ...ctx.env }) });
  if (!loaded.config) {
    throw new TalformError(`cannot read talosVersion from ${config}`, {
      diagnostics: loaded.diagnostics,
      hint: "fix the file (talform validate), or pass --talos-version",
    });
  }
  return { file: config, talosVersion: loaded.config.talosVersion };
}

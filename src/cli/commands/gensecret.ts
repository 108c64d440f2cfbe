import { access } from "node:fs/promises";
import { resolve } from "node:path";
import type { CliContext } from "../context.js";
import type { CommandDefiner } from "./index.js";

interface GensecretOptions {
  talosVersion?: string;
  config: string;
  output?: string;
  force?: boolean;
  plaintext?: boolean;
}

export const defineGensecret: CommandDefiner = (program, ctx) => {
  program
    .command("gensecret")
    .description("generate a new Talos secrets bundle; with -o it is encrypted with the matching .sops.yaml rule before it touches disk")
    .option("--talos-version <vX.Y>", "Talos version contract the bundle is made for (default: talosVersion in the talconfig, else talform's default)")
    .option("-c, --config <file>", "talconfig.yaml whose talosVersion the bundle follows when it exists", "talconfig.yaml")
    .option("-o, --output <file>", "write to this file (sops-encrypted) instead of stdout")
    .option("--force", "overwrite an existing file, keeping a timestamped encrypted backup next to it")
    .option("--plaintext", "with -o: write the bundle unencrypted (not recommended)")
    .action(async (opts: GensecretOptions) => {
      const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
      const { contractFor, SUPPORTED_TALOS_RANGE } = await import("../../contract/index.js");
      const lib = await import("../../secrets/index.js");
      const { generateSecretsBundle, serializeSecretsBundle, writeSecretsFile } = lib;

      const choice = lib.chooseBundleVersion(opts.talosVersion, opts.talosVersion === undefined ? await talconfigVersion(ctx, opts.config) : undefined);
      const contract = contractFor(choice.version);
      if (!contract) {
        const where = choice.from === "flag" ? "--talos-version" : `talosVersion in ${choice.file}`;
        throw new TalformError(`${where}: "${choice.version}" is not a Talos version`, { hint: "use the form v1.13 or v1.13.9", exitCode: ExitCode.usage });
      }
      ctx.stderr.write(`making the bundle for ${lib.describeBundleVersionChoice(choice)}\n`);
      if (!contract.supported) ctx.stderr.write(`warning: talform supports Talos ${SUPPORTED_TALOS_RANGE}; generating a bundle for the ${contract.name} contract anyway\n`);
      if (opts.plaintext && !opts.output) throw new TalformError("--plaintext needs -o FILE (stdout is always plaintext)", { exitCode: ExitCode.usage });

      if (!opts.output) {
        // talhelper prints the bundle with 2-space indentation for piping into `sops -e`.
        ctx.stdout.write(serializeSecretsBundle(await generateSecretsBundle(contract), { indent: 2 }));
        return;
      }

      const target = resolve(ctx.cwd, opts.output);
      const result = await writeSecretsFile({ target, displayName: opts.output, contract, force: opts.force, plaintext: opts.plaintext });
      if (result.backup) ctx.stderr.write(`kept the previous bundle as ${result.backup}\n`);
      if (result.encrypted) {
        ctx.stderr.write(`wrote ${opts.output} (Talos ${contract.name}), sops-encrypted for ${result.recipients} age recipient${result.recipients === 1 ? "" : "s"}\n`);
      } else {
        ctx.stderr.write(`wrote ${opts.output} UNENCRYPTED (Talos ${contract.name}); encrypt it before committing it\n`);
      }
    });
};

/**
 * The talconfig's `talosVersion` (after `${VAR}` substitution from its env files), or undefined when there is no such
 * file at the default path. An explicit `-c` that does not exist, or a talconfig that cannot be read, is an error.
 */
async function talconfigVersion(ctx: CliContext, config: string): Promise<{ file: string; talosVersion: string | undefined } | undefined> {
  const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
  const path = resolve(ctx.cwd, config);
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (!exists) {
    if (config === "talconfig.yaml") return undefined;
    throw new TalformError(`-c ${config}: no such file`, { hint: "give an existing talconfig.yaml, or --talos-version", exitCode: ExitCode.usage });
  }
  const { loadTalconfig } = await import("../../talconfig/index.js");
  const { createSopsDecryptor } = await import("../../sops/index.js");
  const loaded = await loadTalconfig({ path, env: ctx.env, decryptor: createSopsDecryptor({ ...ctx.env }) });
  if (!loaded.config) {
    throw new TalformError(`cannot read talosVersion from ${config}`, { diagnostics: loaded.diagnostics, hint: "fix the file (talform validate), or pass --talos-version" });
  }
  return { file: config, talosVersion: loaded.config.talosVersion };
}

import { resolve } from "node:path";
import type { CommandDefiner } from "./index.js";

interface GensecretOptions {
  talosVersion?: string;
  output?: string;
  force?: boolean;
  plaintext?: boolean;
}

export const defineGensecret: CommandDefiner = (program, ctx) => {
  program
    .command("gensecret")
    .description("generate a new Talos secrets bundle; with -o it is encrypted with the matching .sops.yaml rule before it touches disk")
    .option("--talos-version <vX.Y>", "Talos version contract the bundle is made for (default: talform's default Talos version)")
    .option("-o, --output <file>", "write to this file (sops-encrypted) instead of stdout")
    .option("--force", "overwrite an existing file, keeping a timestamped encrypted backup next to it")
    .option("--plaintext", "with -o: write the bundle unencrypted (not recommended)")
    .action(async (opts: GensecretOptions) => {
      const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
      const { contractFor, DEFAULT_TALOS_VERSION } = await import("../../contract/index.js");
      const { generateSecretsBundle, serializeSecretsBundle } = await import("../../secrets/index.js");
      const sops = await import("../../sops/index.js");
      const { writeFileAtomic } = await import("../../util/atomic-write.js");

      const version = opts.talosVersion ?? DEFAULT_TALOS_VERSION;
      const contract = contractFor(version);
      if (!contract) throw new TalformError(`--talos-version ${version} is not a Talos version`, { hint: "use the form v1.13 or v1.13.9", exitCode: ExitCode.usage });
      if (!contract.supported) ctx.stderr.write(`warning: talform supports Talos v1.10–v1.14; generating a bundle for the ${contract.name} contract anyway\n`);
      if (opts.plaintext && !opts.output) throw new TalformError("--plaintext needs -o FILE (stdout is always plaintext)", { exitCode: ExitCode.usage });

      if (!opts.output) {
        // talhelper prints the bundle with 2-space indentation for piping into `sops -e`.
        ctx.stdout.write(serializeSecretsBundle(await generateSecretsBundle(contract), { indent: 2 }));
        return;
      }

      // Every check that can fail happens before any secret exists, so a failed run leaves nothing behind.
      const target = resolve(ctx.cwd, opts.output);
      const exists = await sops.fileExists(target);
      if (exists && !opts.force) {
        throw new TalformError(`${opts.output} already exists; refusing to overwrite a secrets bundle`, {
          code: "secrets-exists",
          hint: "a new bundle means a new cluster PKI; pass --force to replace it (an encrypted backup is kept)",
        });
      }
      let rule: Awaited<ReturnType<typeof sops.requireCreationRule>> | undefined;
      try {
        rule = await sops.requireCreationRule(target);
      } catch (e) {
        if (!opts.plaintext) throw e;
      }
      if (exists) {
        const backup = await sops.backupEncrypted(target, rule, new Date());
        ctx.stderr.write(`kept the previous bundle as ${backup}\n`);
      }
      const text = serializeSecretsBundle(await generateSecretsBundle(contract));
      if (opts.plaintext) {
        await writeFileAtomic(target, text, { mode: 0o600 });
        ctx.stderr.write(`wrote ${opts.output} UNENCRYPTED (Talos ${contract.name}); encrypt it before committing it\n`);
        return;
      }
      const encrypted = await sops.encryptSopsText(text, { path: target, format: "yaml", rule: rule! });
      await writeFileAtomic(target, encrypted, { mode: 0o600 });
      const recipients = (rule!.keyGroups.length > 1 ? rule!.keyGroups.flat() : rule!.ageRecipients).length;
      ctx.stderr.write(`wrote ${opts.output} (Talos ${contract.name}), sops-encrypted for ${recipients} age recipient${recipients === 1 ? "" : "s"}\n`);
    });
};

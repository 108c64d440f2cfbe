import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import type { CommandDefiner } from "./index.js";

interface InPlace {
  inPlace?: boolean;
}

export const defineSops: CommandDefiner = (program, ctx) => {
  const sopsCmd = program
    .command("sops")
    .description("encrypt, decrypt and edit sops files (age) without the sops binary");

  sopsCmd
    .command("encrypt <file>")
    .description("encrypt a YAML, JSON or dotenv file with the matching .sops.yaml creation rule")
    .option("--in-place", "replace the file instead of printing the result")
    .action(async (file: string, opts: InPlace) => {
      const sops = await import("../../sops/index.js");
      const { writeFileAtomic } = await import("../../util/atomic-write.js");
      const path = resolve(ctx.cwd, file);
      const rule = await sops.requireCreationRule(path);
      const out = await sops.encryptSopsText(await readFile(path, "utf8"), { path, rule });
      if (opts.inPlace) await writeFileAtomic(path, out, { mode: 0o600 });
      else ctx.stdout.write(out);
    });

  sopsCmd
    .command("decrypt <file>")
    .description("decrypt a sops file (identities from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or ~/.config/sops/age/keys.txt)")
    .option("--in-place", "replace the file with its plaintext")
    .action(async (file: string, opts: InPlace) => {
      const sops = await import("../../sops/index.js");
      const { writeFileAtomic } = await import("../../util/atomic-write.js");
      const path = resolve(ctx.cwd, file);
      const identities = await sops.loadAgeIdentities(ctx.env, sops.readOptionalFile);
      const out = await sops.decryptSopsText(await readFile(path, "utf8"), { path: file, identities });
      if (opts.inPlace) await writeFileAtomic(path, out, { mode: 0o600 });
      else ctx.stdout.write(out);
    });

  sopsCmd
    .command("edit <file>")
    .description("decrypt into a private temp folder, run $EDITOR, re-encrypt with the same data key")
    .action(async (file: string) => {
      const { TalformError } = await import("../../diagnostics/index.js");
      const sops = await import("../../sops/index.js");
      const { writeFileAtomic } = await import("../../util/atomic-write.js");
      const path = resolve(ctx.cwd, file);
      const identities = await sops.loadAgeIdentities(ctx.env, sops.readOptionalFile);
      const opened = await sops.openSopsText(await readFile(path, "utf8"), { path: file, identities });
      // mkdtemp creates the folder 0700; the plaintext inside is 0600 and the folder is removed in every case.
      const dir = await mkdtemp(join(tmpdir(), "talform-edit-"));
      try {
        const tmp = join(dir, basename(path));
        await writeFile(tmp, opened.plaintext, { mode: 0o600 });
        const editor = ctx.env.VISUAL || ctx.env.EDITOR || "vi";
        const code = await new Promise<number>((done, failed) => {
          const child = spawn(`${editor} '${tmp.replaceAll("'", "'\\''")}'`, {
            shell: true,
            stdio: "inherit",
            env: { ...ctx.env } as NodeJS.ProcessEnv,
          });
          child.on("error", failed);
          child.on("exit", (c) => done(c ?? 1));
        });
        if (code !== 0)
          throw new TalformError(`the editor (${editor}) exited with ${code}; ${file} was not changed`, {
            code: "sops-edit",
          });
        const edited = await readFile(tmp, "utf8");
        if (edited === opened.plaintext) {
          ctx.stderr.write(`${file}: no changes\n`);
          return;
        }
        let out: string;
        try {
          out = await sops.encryptSopsText(edited, {
            path,
            format: opened.format,
            rule: sops.ruleFromMetadata(opened.metadata),
            previous: opened,
          });
        } catch (e) {
          // The plaintext is not kept anywhere, so say plainly that the edit is gone.
          if (e instanceof TalformError)
            throw new TalformError(`${e.message}; your edit was discarded and ${file} is unchanged`, {
              code: "sops-edit",
              hint: "run `talform sops edit` again and fix the syntax",
            });
          throw e;
        }
        await writeFileAtomic(path, out, { mode: 0o600 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
};

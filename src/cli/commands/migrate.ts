import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { CommandDefiner } from "./index.js";

interface MigrateOptions {
  to: string;
  config: string;
  write?: boolean;
}

export const defineMigrate: CommandDefiner = (program, ctx) => {
  program
    .command("migrate")
    .description(
      "rewrite talconfig.yaml's patches for a newer Talos (legacy kubelet/sysctl/proxy/… fields into 1.14's documents); shows a diff, writes with --write",
    )
    .option("--to <vX.Y>", "Talos version to migrate to", "v1.14")
    .option("-c, --config <file>", "talconfig.yaml", "talconfig.yaml")
    .option("--write", "write the changed files (default: only show the diff)")
    .action(async (opts: MigrateOptions) => {
      const { TalformError, ExitCode } = await import("../../diagnostics/index.js");
      const { contractFor } = await import("../../contract/index.js");
      const { writeFileAtomic } = await import("../../util/atomic-write.js");
      const lib = await import("../../migrate/index.js");
      const target = contractFor(opts.to);
      if (!target?.supported)
        throw new TalformError(`--to ${opts.to} is not a Talos version talform knows`, {
          hint: "use e.g. --to v1.14",
          exitCode: ExitCode.usage,
        });
      const result = await lib.migrateTalconfig({
        path: resolve(ctx.cwd, opts.config),
        target,
        readFile: (p) => readFile(p, "utf8"),
      });
      ctx.stdout.write(lib.formatMigration(result, ctx.cwd));
      if (result.changes.length === 0) {
        ctx.stderr.write(
          `nothing to migrate: the patches set no legacy field Talos ${target.name} moved into a document\n`,
        );
        return;
      }
      if (!opts.write) {
        ctx.stderr.write(`${result.changes.length} file(s) would change; run again with --write to write them\n`);
        return;
      }
      // Each file keeps its mode (patch files are not secrets; encrypted ones are never rewritten).
      for (const c of result.changes)
        await writeFileAtomic(c.path, c.after, { mode: (await stat(c.path)).mode & 0o777 });
      ctx.stderr.write(`wrote ${result.changes.length} file(s); check with: talform genconfig --dry-run\n`);
    });
};

import { relative } from "node:path";
import { createTwoFilesPatch } from "diff";
import type { MigrateResult } from "./talconfig.js";

/** The diff preview of a migration (unified diffs, paths relative to `cwd`), then its notes. */
export function formatMigration(result: MigrateResult, cwd: string): string {
  const rel = (p: string) => relative(cwd, p) || p;
  const diffs = result.changes.map((c) =>
    createTwoFilesPatch(`a/${rel(c.path)}`, `b/${rel(c.path)}`, c.before, c.after, "", "", { context: 3 }).replace(
      /^=+\n/,
      "",
    ),
  );
  const notes = result.notes.map(
    (n) => `  ${n.where.startsWith("@") ? `@${rel(n.where.slice(1))}` : n.where}: ${n.text}`,
  );
  return [...diffs, ...(notes.length > 0 ? [`notes:\n${notes.join("\n")}\n`] : [])].join("");
}

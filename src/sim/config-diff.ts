import { structuredPatch } from "diff";

/**
 * The config diff machined puts in a dry-run reply: Talos's `textdiff.Diff` of the old and new config text — a
 * unified diff with `--- a` / `+++ b` headers and 3 lines of context, empty when nothing changed. (Talos diffs its
 * re-encoded documents; the simulator diffs the texts it was given, which are the same for configs talosctl and
 * talform generate.)
 */
export function configDiff(before: string, after: string): string {
  if (before === after) return "";
  const patch = structuredPatch("a", "b", before, after, "", "", { context: 3 });
  const out = ["--- a", "+++ b"];
  for (const h of patch.hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    out.push(...h.lines.filter((l) => !l.startsWith("\\")));
  }
  return `${out.join("\n")}\n`;
}

import type { Finding } from "./types.js";

/** Doctor's text report: per finding the symptom, its evidence and the fix; then a count. */
export function formatFindings(findings: readonly Finding[], notes: readonly string[] = []): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.severity === "error" ? "ERROR" : "WARN "} ${f.symptom}  [${f.code}]`);
    f.evidence.forEach((e, i) => lines.push(`      ${i === 0 ? "evidence:" : "         "} ${e}`));
    lines.push(`      fix:      ${f.fix}`);
    lines.push("");
  }
  for (const n of notes) lines.push(`note: ${n}`);
  lines.push(
    findings.length === 0
      ? "doctor: no problems found"
      : `doctor: ${findings.length} finding${findings.length === 1 ? "" : "s"} (${findings.filter((f) => f.severity === "error").length} errors)`,
  );
  return lines.join("\n") + "\n";
}

import { formatPosition, sortDiagnostics, type Diagnostic } from "../diagnostics/index.js";

/**
 * Renders validate findings grouped by file, then by node (cluster-level findings first), each group in document
 * order. Pure: the CLI decides where the text goes.
 */
export interface ValidateReport {
  readonly valid: boolean;
  readonly errors: number;
  readonly warnings: number;
  readonly diagnostics: readonly Diagnostic[];
}

export function buildReport(diagnostics: readonly Diagnostic[]): ValidateReport {
  const sorted = sortDiagnostics(diagnostics);
  const errors = sorted.filter((d) => d.severity === "error").length;
  const warnings = sorted.filter((d) => d.severity === "warning").length;
  return { valid: errors === 0, errors, warnings, diagnostics: sorted };
}

export function renderReportText(
  report: ValidateReport,
  options: { display?: (file: string) => string; subject: string; nodeCount?: number; nodeOrder?: readonly string[] },
): string {
  const display = options.display ?? ((f: string) => f);
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of report.diagnostics) {
    const f = d.source ? display(d.source.file) : "(no file)";
    const list = byFile.get(f) ?? [];
    list.push(d);
    byFile.set(f, list);
  }
  const lines: string[] = [];
  for (const [file, list] of byFile) {
    lines.push(file);
    const byNode = new Map<string, Diagnostic[]>();
    for (const d of list) {
      const key = d.node ? `node ${d.node}` : "cluster";
      const group = byNode.get(key) ?? [];
      group.push(d);
      byNode.set(key, group);
    }
    // Cluster-level findings first, then nodes in talconfig order.
    const rank = (k: string) => (k === "cluster" ? -1 : (options.nodeOrder ?? []).indexOf(k.slice("node ".length)));
    const keys = [...byNode.keys()].sort((a, b) => rank(a) - rank(b));
    for (const key of keys) {
      lines.push(`  ${key}:`);
      for (const d of byNode.get(key)!) {
        const pos = d.source ? formatPosition({ ...d.source, file: display(d.source.file) }) : "";
        lines.push(
          `    ${pos ? `${pos}: ` : ""}${d.severity}[${d.code}]: ${d.message}${d.path ? ` (at ${d.path})` : ""}`,
        );
        if (d.hint) lines.push(`      hint: ${d.hint}`);
      }
    }
  }
  const summary = report.valid
    ? `${options.subject} is valid${options.nodeCount !== undefined ? ` (${options.nodeCount} node${options.nodeCount === 1 ? "" : "s"})` : ""}${report.warnings ? `, ${report.warnings} warning${report.warnings === 1 ? "" : "s"}` : ""}`
    : `${options.subject}: ${report.errors} error${report.errors === 1 ? "" : "s"}, ${report.warnings} warning${report.warnings === 1 ? "" : "s"}`;
  lines.push(summary);
  return `${lines.join("\n")}\n`;
}

export function renderReportJson(report: ValidateReport, display: (file: string) => string = (f) => f): string {
  const diagnostics = report.diagnostics.map((d) =>
    d.source ? { ...d, source: { ...d.source, file: display(d.source.file) } } : d,
  );
  return `${JSON.stringify({ valid: report.valid, errors: report.errors, warnings: report.warnings, diagnostics }, null, 2)}\n`;
}

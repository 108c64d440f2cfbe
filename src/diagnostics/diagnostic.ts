/**
 * Diagnostics are data: every stage returns them, only the CLI renders them.
 * A diagnostic says what is wrong (message), where (source position, document path, node) and how to fix it (hint).
 */
export type Severity = "error" | "warning" | "info";

export interface SourcePosition {
  /** Path of the file as the user named it (relative paths stay relative). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable identifier, e.g. `TF1001` for a model error or `gpu-runtime` for a policy rule. */
  readonly code: string;
  readonly message: string;
  /** How to fix it, phrased as an instruction. */
  readonly hint?: string;
  /** Path inside the document, e.g. `nodes[2].networkInterfaces[0].addresses[0]`. */
  readonly path?: string;
  /** Hostname of the node the finding is about, when there is one. */
  readonly node?: string;
  readonly source?: SourcePosition;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Deterministic order: by file, line, column, then code and message. Diagnostics without a source come last. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    const fa = a.source?.file ?? "\uffff";
    const fb = b.source?.file ?? "\uffff";
    if (fa !== fb) return fa < fb ? -1 : 1;
    const la = a.source?.line ?? 0;
    const lb = b.source?.line ?? 0;
    if (la !== lb) return la - lb;
    const ca = a.source?.col ?? 0;
    const cb = b.source?.col ?? 0;
    if (ca !== cb) return ca - cb;
    if (a.code !== b.code) return a.code < b.code ? -1 : 1;
    return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
  });
}

export function formatPosition(source: SourcePosition | undefined): string {
  return source ? `${source.file}:${source.line}:${source.col}` : "";
}

/** One-line human rendering: `file:line:col: error[code]: message (at path)` followed by an indented hint. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = formatPosition(d.source);
  const head = `${where ? `${where}: ` : ""}${d.severity}[${d.code}]: ${d.node ? `${d.node}: ` : ""}${d.message}`;
  const lines = [d.path ? `${head} (at ${d.path})` : head];
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join("\n");
}

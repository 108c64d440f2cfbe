// The real-world talconfig corpus (conformance/corpus/<entry>/): each entry is a talconfig.yaml from a public
// repository with the files it references, laid out as in that repository under files/, its provenance.json
// (repository, path, commit) and, where the repository's talenv is SOPS-encrypted, a corpus-env.yaml of placeholder
// values written for the corpus. This module renders one entry with talhelper and with talform using the same
// secrets and compares the results through the Talos machinery oracle.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { runGenconfig } from "../../src/genconfig/index.js";
import { TalformError, formatDiagnostic } from "../../src/diagnostics/index.js";
import { repoRoot, runOracle, runOracleJson } from "./oracles.js";

export const CORPUS_DIR = join(repoRoot, "conformance", "corpus");

export interface Provenance {
  repository: string;
  path: string;
  commit: string;
  files: string[];
  skipped: string[];
}

export interface CorpusEntry {
  name: string;
  dir: string;
  provenance: Provenance;
  talosVersion: string;
}

/** A talform finding that names a real mistake in the entry's file (findings.json). */
export interface ExpectedFinding {
  /** Regular expression the finding (formatted diagnostic) must match. */
  finding: string;
  /** Why it is a real mistake in the file, not a talform gap. */
  reason: string;
}

export async function loadCorpus(): Promise<CorpusEntry[]> {
  const names = (await readdir(CORPUS_DIR, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const entries: CorpusEntry[] = [];
  for (const name of names.sort()) {
    const dir = join(CORPUS_DIR, name);
    const provenance = JSON.parse(await readFile(join(dir, "provenance.json"), "utf8")) as Provenance;
    const text = await readFile(join(dir, "files", provenance.path), "utf8");
    const talosVersion = /^talosVersion:\s*["']?(v?[0-9][^\s"'#]*)/m.exec(text)?.[1] ?? "";
    entries.push({
      name,
      dir,
      provenance,
      talosVersion: talosVersion.startsWith("v") ? talosVersion : `v${talosVersion}`,
    });
  }
  return entries;
}

export async function loadExpectedFindings(): Promise<Record<string, ExpectedFinding>> {
  return JSON.parse(await readFile(join(CORPUS_DIR, "findings.json"), "utf8")) as Record<string, ExpectedFinding>;
}

export interface ValidateReport {
  files: { file: string; ok: boolean; errors: string[]; warnings: string[] }[];
}

/** One rendered node config compared three ways. */
export interface FileComparison {
  name: string;
  /** Both decode (machinery oracle) and re-encode to the same bytes: the same config in Talos's types. */
  equal: boolean | undefined;
  /** talform's file is what the oracle's decode → encode of it prints, byte for byte. */
  byteExact: boolean;
  /** First differing line of talform's file against the oracle's re-encoding, for the report. */
  firstDifference?: string;
  /** Talos's strict validation of talform's file (errors; warnings reported as errors by --strict). */
  strictFindings: string[];
}

export interface EntryResult {
  entry: CorpusEntry;
  talhelper: { ok: boolean; message: string; files: Map<string, string>; valid: boolean; validationErrors: string[] };
  talform: { ok: boolean; message: string; files: Map<string, string>; findings: string[] };
  comparisons: FileComparison[];
}

async function readOutputs(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const n of names.sort()) if (n.endsWith(".yaml")) out.set(n, await readFile(join(dir, n), "utf8"));
  return out;
}

/** The machinery oracle's decode → encode of a config file (undefined when Talos cannot load it). */
export async function oracleReencode(path: string): Promise<{ text?: string; error?: string }> {
  const res = await runOracle("talos-oracle", ["encode", path]);
  return res.code === 0 ? { text: res.stdout } : { error: res.stderr.trim() };
}

function firstDifference(a: string, b: string): string {
  const al = a.split("\n");
  const bl = b.split("\n");
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `line ${i + 1}: talform ${JSON.stringify(al[i])} ≠ Talos ${JSON.stringify(bl[i])}`;
  }
  return "";
}

/** Renders one entry with both tools and compares. Never throws for a tool's failure: that is a result. */
export async function runEntry(entry: CorpusEntry, secretsYaml: string): Promise<EntryResult> {
  const tmp = await mkdtemp(join(tmpdir(), `talform-corpus-${entry.name}-`));
  try {
    await cp(join(entry.dir, "files"), tmp, { recursive: true });
    const cwd = join(tmp, dirname(entry.provenance.path));
    const configPath = join(tmp, entry.provenance.path);
    const secretsFile = join(tmp, ".corpus-talsecret.yaml");
    await writeFile(secretsFile, secretsYaml, { mode: 0o600 });
    let env: Record<string, string> = {};
    try {
      const raw = parseYaml(await readFile(join(entry.dir, "corpus-env.yaml"), "utf8")) as Record<string, unknown>;
      env = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
    } catch {
      // no corpus-env.yaml: the entry needs no variables, or brings a plain talenv.yaml of its own
    }

    const theirsDir = join(tmp, ".theirs");
    const th = await runOracle(
      "talhelper",
      ["genconfig", "--offline-mode", "-c", configPath, "-s", secretsFile, "-o", theirsDir],
      { cwd, env },
    );
    const theirFiles = th.code === 0 ? await readOutputs(theirsDir) : new Map<string, string>();
    const talhelper = {
      ok: th.code === 0,
      message: th.code === 0 ? "" : lastLines(th.stderr + th.stdout),
      files: theirFiles,
      valid: false,
      validationErrors: [] as string[],
    };
    if (talhelper.ok && theirFiles.size > 0) {
      const files = [...theirFiles.keys()].map((n) => join(theirsDir, n));
      const { report } = await runOracleJson<ValidateReport>(["validate", "--mode", "metal", ...files]);
      talhelper.validationErrors = report.files.flatMap((f) =>
        f.errors.map((e) => `${f.file.slice(theirsDir.length + 1)}: ${e}`),
      );
      talhelper.valid = talhelper.validationErrors.length === 0;
    }

    const oursDir = join(tmp, ".ours");
    const talform = { ok: false, message: "", files: new Map<string, string>(), findings: [] as string[] };
    try {
      await runGenconfig({ configPath, outDir: oursDir, cwd, env, secretsFile, gitignore: false });
      talform.ok = true;
      talform.files = await readOutputs(oursDir);
    } catch (e) {
      if (!(e instanceof TalformError)) throw e;
      talform.findings = e.diagnostics
        .filter((d) => d.severity === "error")
        .map((d) => formatDiagnostic(d).replaceAll(tmp + "/", ""));
      talform.message = talform.findings[0] ?? e.message;
    }

    const comparisons: FileComparison[] = [];
    for (const [name, text] of talform.files) {
      const mine = await oracleReencode(join(oursDir, name));
      const byteExact = mine.text !== undefined && mine.text === text;
      let equal: boolean | undefined;
      if (theirFiles.has(name) && mine.text !== undefined) {
        const theirs = await oracleReencode(join(theirsDir, name));
        equal = theirs.text !== undefined && theirs.text === mine.text;
      }
      const { report } = await runOracleJson<ValidateReport>([
        "validate",
        "--mode",
        "metal",
        "--strict",
        join(oursDir, name),
      ]);
      comparisons.push({
        name,
        equal,
        byteExact,
        ...(byteExact
          ? {}
          : {
              firstDifference:
                mine.text === undefined ? `Talos cannot load it: ${mine.error}` : firstDifference(text, mine.text),
            }),
        strictFindings: report.files.flatMap((f) => [...f.errors, ...f.warnings]),
      });
    }
    return { entry, talhelper, talform, comparisons };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** talhelper's reason: its error lines (`* …`, `failed to …`), else its last lines. */
function lastLines(s: string): string {
  const lines = s.trim().split("\n");
  const errors = lines.filter((l) => /^\s*\* (?!WARNING)|failed to |error/i.test(l) && !/WARNING/.test(l));
  return (errors.length > 0 ? errors.slice(0, 2) : lines.slice(-2))
    .map((l) => l.trim())
    .join(" | ")
    .slice(0, 300);
}

/** The printed table: entry, talhelper, talform, equal, byte-exact. */
export function formatTable(results: readonly EntryResult[]): string {
  const rows = results.map((r) => {
    const th = !r.talhelper.ok ? "fails" : r.talhelper.valid ? "valid" : "invalid";
    const tf = r.talform.ok ? "renders" : "refuses";
    const withTheirs = r.comparisons.filter((c) => c.equal !== undefined);
    const equal = withTheirs.length === 0 ? "-" : `${withTheirs.filter((c) => c.equal).length}/${withTheirs.length}`;
    const exact =
      r.comparisons.length === 0 ? "-" : `${r.comparisons.filter((c) => c.byteExact).length}/${r.comparisons.length}`;
    return [r.entry.name, r.entry.talosVersion, th, tf, equal, exact];
  });
  const head = ["entry", "talos", "talhelper", "talform", "equal", "byte-exact"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const files = results.flatMap((r) => r.comparisons);
  const totals = [
    `entries: ${results.length}`,
    `talhelper renders validly: ${results.filter((r) => r.talhelper.ok && r.talhelper.valid).length}`,
    `talform renders: ${results.filter((r) => r.talform.ok).length}`,
    `files equal to talhelper's after decoding: ${files.filter((c) => c.equal).length}/${files.filter((c) => c.equal !== undefined).length}`,
    `files byte-exact: ${files.filter((c) => c.byteExact).length}/${files.length}`,
  ];
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), "", totals.join(", ")].join("\n");
}

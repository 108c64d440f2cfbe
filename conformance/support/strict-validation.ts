// Talos's strict metal-mode verdict on rendered configs, shared by the genconfig conformance tests.
import assert from "node:assert/strict";
import { runOracleJson } from "./oracles.js";

interface ValidateReport {
  files: { file: string; ok: boolean; errors: string[]; warnings: string[] }[];
}

/**
 * `talos-oracle validate --mode metal --strict`: strict decoding (unknown fields, kinds and duplicate documents are
 * errors) and `Validate(metal, strict)`, which reports most Talos warnings as errors (`warning: …`; some multi-document
 * ones stay warnings). Each file must have no finding but the allowed warnings (given without the `warning: ` prefix),
 * in either list: the ones its input asks for.
 */
export async function assertTalosStrictlyValid(
  files: readonly string[],
  allowedWarnings: ReadonlySet<string>,
): Promise<void> {
  const { report } = await runOracleJson<ValidateReport>(["validate", "--mode", "metal", "--strict", ...files]);
  assert.equal(report.files.length, files.length);
  for (const f of report.files) {
    const errors = f.errors.filter(
      (e) => !(e.startsWith("warning: ") && allowedWarnings.has(e.slice("warning: ".length))),
    );
    const warnings = f.warnings.filter((w) => !allowedWarnings.has(w));
    assert.deepEqual({ errors, warnings }, { errors: [], warnings: [] }, f.file);
  }
}

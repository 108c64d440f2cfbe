import { visit, type Scalar } from "yaml";
import type { Diagnostic } from "../diagnostics/index.js";
import { CODES } from "./codes.js";
import { substituteEnv } from "./envsubst.js";
import { forEachSimpleScalar } from "./simple-yaml.js";
import type { YamlSource } from "./yaml-source.js";

/** Restores the `${...}` references masked for parsing (see YamlSource), whether or not substitution runs. */
export function unmaskDocument(src: YamlSource): void {
  if (!src.masked) return;
  visit(src.doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value === "string") node.value = src.unmask(node.value);
    },
  });
}

/** Substitutes every string scalar in place. Plain scalars are re-typed after substitution, as talhelper (which substitutes bytes) would. */
export function substituteDocument(
  src: YamlSource,
  env: Map<string, string>,
  diagnostics: Diagnostic[],
  failed: Set<unknown>,
): void {
  // Only values containing `$` change; without a `$` in the text (nor a `\` escape that could make one) none can.
  if (!src.text.includes("$") && !src.text.includes("\\")) return;
  visit(src.doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value !== "string" || !node.value.includes("$")) return;
      const { value, problems } = substituteEnv(node.value, env);
      if (problems.length > 0) failed.add(node);
      for (const p of problems) {
        const start = node.range?.[0] ?? 0;
        const end = node.range?.[1] ?? start;
        // Locate the reference in the raw source of this scalar (block scalars span several lines).
        const found = src.text.slice(start, end).indexOf(p.reference);
        diagnostics.push({
          severity: "error",
          code: CODES.envUnset,
          message: p.variable ? `${p.message} (used as ${p.reference})` : p.message,
          hint: p.variable
            ? `set ${p.variable} in the environment or a talenv.yaml (-e file), give a default with \${${p.variable}:-value}, or write $$ for a literal $`
            : "close the ${...} reference",
          source: src.positionAt(found >= 0 ? start + found : start),
        });
      }
      if (value === node.value) return;
      if (node.type === "PLAIN" || node.type === undefined) {
        const retyped = retypePlain(value);
        node.value = retyped;
      } else node.value = value;
    },
  });
}

/**
 * unmaskDocument + substituteDocument on the simple reading (simple-yaml.ts; its keys hold neither `$` nor masked
 * references). Returns false, leaving the reading half-substituted, when a reference fails: the caller then drops the
 * simple reading and goes the document's way, which reports the failures with their positions.
 */
export function substituteSimple(src: YamlSource, env: Map<string, string> | undefined): boolean {
  const root = src.simple?.root;
  if (!root) return false;
  const substitute = env !== undefined && (src.text.includes("$") || src.text.includes("\\"));
  if (!src.masked && !substitute) return true;
  let ok = true;
  forEachSimpleScalar(root, (node) => {
    if (!ok || typeof node.value !== "string") return;
    const unmasked = src.unmask(node.value);
    node.value = unmasked;
    if (!substitute || !unmasked.includes("$")) return;
    const { value, problems } = substituteEnv(unmasked, env);
    if (problems.length > 0) ok = false;
    else if (value !== unmasked) node.value = node.plain ? retypePlain(value) : value;
  });
  return ok;
}

function retypePlain(value: string): unknown {
  if (/^(true|True|TRUE)$/.test(value)) return true;
  if (/^(false|False|FALSE)$/.test(value)) return false;
  if (/^[-+]?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  return value;
}

/**
 * Substitutes `${VAR}` references in a file talconfig.yaml points at (a patch file after templating, or `@file`
 * content of machineFiles/inlineManifests without `skipEnvsubst`), with the env of the talconfig. talhelper strips
 * YAML comments first; talform leaves whole-line `#` comments untouched instead (so it also works for non-YAML files).
 */
export function substituteFileText(
  text: string,
  file: string,
  env: ReadonlyMap<string, string>,
): { text: string; diagnostics: Diagnostic[] } {
  const vars = new Map(env);
  const diagnostics: Diagnostic[] = [];
  const lines = text.split("\n");
  const out = lines.map((line, i) => {
    if (/^\s*#/.test(line) || !line.includes("$")) return line;
    const { value, problems } = substituteEnv(line, vars);
    for (const p of problems) {
      diagnostics.push({
        severity: "error",
        code: CODES.envUnset,
        message: p.variable ? `${p.message} (used as ${p.reference})` : p.message,
        hint: p.variable
          ? `set ${p.variable} in the environment or a talenv.yaml, or write $$ for a literal $`
          : "close the ${...} reference",
        source: { file, line: i + 1, col: p.offset + 1 },
      });
    }
    return value;
  });
  return { text: out.join("\n"), diagnostics };
}

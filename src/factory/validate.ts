import type { Diagnostic } from "../diagnostics/index.js";
import { officialExtensions } from "./extensions.js";
import type { Schematic } from "./schematic.js";
import { DEFAULT_REGISTRY_URL } from "./urls.js";

export interface SchematicCheckContext {
  readonly talosVersion: string;
  /** Extension names are only checked against the official catalogue for the public factory (as talhelper does). */
  readonly registryURL?: string;
  /** Hostname, for the diagnostic. */
  readonly node?: string;
  /** Document path of the schematic, e.g. `nodes[2].schematic`. */
  readonly path?: string;
}

const OLD_YAML_SCALAR =
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)$/;

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Warnings about a schematic the factory would reject or that would not do what the user expects: extension names
 * unknown for the Talos version, duplicates (the factory keeps them, changing the ID), and kernel arguments or meta
 * values spelled like YAML 1.1 booleans/sexagesimals (their IDs changed when the factory moved to go-yaml v4).
 */
export function schematicDiagnostics(schematic: Schematic, ctx: SchematicCheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const base = ctx.path ?? "schematic";
  const where = (p: string): Pick<Diagnostic, "path" | "node"> => ({
    path: `${base}.${p}`,
    ...(ctx.node ? { node: ctx.node } : {}),
  });
  const exts = schematic.customization?.systemExtensions?.officialExtensions ?? [];
  const checkNames = (ctx.registryURL || DEFAULT_REGISTRY_URL) === DEFAULT_REGISTRY_URL;
  const known = checkNames ? officialExtensions(ctx.talosVersion) : undefined;
  const seen = new Set<string>();
  exts.forEach((name, i) => {
    const p = `customization.systemExtensions.officialExtensions[${i}]`;
    if (seen.has(name)) {
      out.push({
        severity: "warning",
        code: "duplicate-extension",
        message: `extension "${name}" is listed twice`,
        hint: "remove the duplicate; the factory keeps both and the schematic ID changes",
        ...where(p),
      });
    }
    seen.add(name);
    if (!known || known.has(name)) return;
    let hint: string;
    if (known.has(`siderolabs/${name}`)) hint = `write "siderolabs/${name}"`;
    else {
      const best = [...known]
        .map((k) => [k, editDistance(k, name)] as const)
        .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))[0];
      hint =
        best && best[1] <= 3
          ? `did you mean "${best[0]}"?`
          : "see https://github.com/siderolabs/extensions for the official names";
    }
    out.push({
      severity: "warning",
      code: "unknown-extension",
      message: `"${name}" is not an official extension for Talos ${ctx.talosVersion}`,
      hint,
      ...where(p),
    });
  });
  const strings: [string, string][] = [
    ...(schematic.customization?.extraKernelArgs ?? []).map(
      (a, i) => [`customization.extraKernelArgs[${i}]`, a] as [string, string],
    ),
    ...(schematic.customization?.meta ?? []).map(
      (m, i) => [`customization.meta[${i}].value`, m.value] as [string, string],
    ),
  ];
  for (const [p, value] of strings) {
    if (OLD_YAML_SCALAR.test(value)) {
      out.push({
        severity: "info",
        code: "yaml11-scalar",
        message: `"${value}" is quoted differently since the factory moved to go-yaml v4 (Nov 2025), so this schematic's ID differs from older talhelper/factory IDs`,
        hint: "nothing to do unless you compare IDs with ones computed before that change",
        ...where(p),
      });
    }
  }
  return out;
}

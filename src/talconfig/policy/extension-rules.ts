/** System extension names. */
import { formatPath, type DocPath } from "../yaml-source.js";
import { BUILTIN_EXTENSIONS } from "./extensions.js";
import type { Diagnostic } from "../../diagnostics/index.js";
import type { PolicyRule } from "./types.js";

export const extensionName: PolicyRule = {
  code: "extension-name",
  severity: "warning",
  summary: "System extension names are official Image Factory extensions (siderolabs/<name>).",
  runsOnInvalid: true,
  check(loaded, ctx) {
    const known = ctx.knownExtensions ?? BUILTIN_EXTENSIONS;
    const out: Diagnostic[] = [];
    type Raw = Record<string, unknown>;
    const obj = (v: unknown): Raw | undefined =>
      typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : undefined;
    const config = obj(loaded.config ?? loaded.raw);
    if (!config) return out;
    const nodes = Array.isArray(config.nodes) ? config.nodes : [];
    const containers: [DocPath, Raw | undefined][] = [
      [["controlPlane"], obj(config.controlPlane)],
      [["worker"], obj(config.worker)],
      ...nodes.map((n, i): [DocPath, Raw | undefined] => [["nodes", i], obj(n)]),
    ];
    for (const [base, c] of containers) {
      const node = base[0] === "nodes" && typeof c?.hostname === "string" ? c.hostname : undefined;
      for (const key of ["schematic", "imageSchematic"] as const) {
        const exts = obj(obj(obj(c?.[key])?.customization)?.systemExtensions)?.officialExtensions;
        (Array.isArray(exts) ? exts : []).forEach((ext: unknown, j) => {
          if (typeof ext !== "string" || known.has(ext)) return;
          const p: DocPath = [...base, key, "customization", "systemExtensions", "officialExtensions", j];
          const official = ext.startsWith("siderolabs/");
          out.push({
            severity: this.severity,
            code: this.code,
            message: official
              ? `"${ext}" is not a known official extension`
              : `"${ext}" does not look like an official extension (they are named siderolabs/<name>)`,
            hint: ctx.knownExtensions
              ? "check the name against the Image Factory's extension list for this Talos version"
              : "check the name against https://github.com/siderolabs/extensions (talform's built-in list is short; disable this rule for custom extensions)",
            path: formatPath(p),
            source: loaded.sourceMap?.positionOf(p) ?? { file: loaded.path, line: 1, col: 1 },
            ...(node ? { node } : {}),
          });
        });
      }
    }
    return out;
  },
};

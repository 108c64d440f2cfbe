import { join } from "node:path";
import { z } from "zod";
import type { Diagnostic } from "../../diagnostics/index.js";
import { closest } from "../formats.js";
import { YamlSource } from "../yaml-source.js";
import { POLICY_RULES } from "./rules.js";

/**
 * Per-repository settings: `.talform.yaml` beside talconfig.yaml. talhelper never reads it, so talconfig.yaml stays
 * talhelper-compatible (and its JSON schema stays strict).
 *
 *   policy:
 *     disable: [time-servers, extension-name]
 */
export const TALFORM_SETTINGS_FILE = ".talform.yaml";

const settingsSchema = z.strictObject({
  policy: z.strictObject({ disable: z.array(z.string()).optional() }).optional(),
});

export interface TalformSettings {
  readonly disabledRules: ReadonlySet<string>;
  readonly diagnostics: readonly Diagnostic[];
}

export function loadTalformSettings(talconfigDir: string, read: (path: string) => string | undefined): TalformSettings {
  const file = join(talconfigDir, TALFORM_SETTINGS_FILE);
  const text = read(file);
  if (text === undefined || text.trim() === "") return { disabledRules: new Set(), diagnostics: [] };
  const src = new YamlSource(file, text);
  const diagnostics: Diagnostic[] = src.doc.errors.map((e) => ({
    severity: "error",
    code: "TF1001",
    message: `YAML syntax error: ${e.message.split("\n")[0]}`,
    source: src.positionAt(e.pos[0]),
  }));
  if (diagnostics.length > 0) return { disabledRules: new Set(), diagnostics };
  let data: unknown;
  try {
    data = src.doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return {
      disabledRules: new Set(),
      diagnostics: [{ severity: "error", code: "TF1001", message: (e as Error).message, source: src.positionOf([]) }],
    };
  }
  const parsed = settingsSchema.safeParse(data ?? {});
  if (!parsed.success) {
    return {
      disabledRules: new Set(),
      diagnostics: parsed.error.issues.map((i) => ({
        severity: "error",
        code: "TF1004",
        message: `${TALFORM_SETTINGS_FILE}: ${i.message}`,
        hint: "expected policy: {disable: [rule-code, ...]}",
        source: src.positionOf(i.path as (string | number)[]),
      })),
    };
  }
  const disable = parsed.data.policy?.disable ?? [];
  const codes = POLICY_RULES.map((r) => r.code);
  disable.forEach((code, i) => {
    if (codes.includes(code)) return;
    const s = closest(code, codes);
    diagnostics.push({
      severity: "error",
      code: "TF1003",
      message: `unknown policy rule "${code}"${s ? ` — did you mean "${s}"?` : ""}`,
      hint: `rules: ${codes.join(", ")}`,
      path: `policy.disable[${i}]`,
      source: src.positionOf(["policy", "disable", i]),
    });
  });
  return { disabledRules: new Set(disable), diagnostics };
}

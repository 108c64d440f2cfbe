import { sortDiagnostics, type Diagnostic } from "../../diagnostics/index.js";
import type { LoadedTalconfig } from "../types.js";
import { POLICY_RULES } from "./rules.js";
import type { PolicyContext } from "./types.js";

export { POLICY_RULES, BUNDLE_SECRET_PATHS, sopsEncryptsPath } from "./rules.js";
export { kubernetesVersionFindings } from "./version-rules.js";
export { BUILTIN_EXTENSIONS } from "./extensions.js";
export { loadTalformSettings, TALFORM_SETTINGS_FILE, type TalformSettings } from "./settings.js";
export { nodeFacts, type NodeFacts } from "./node-facts.js";
export type { PolicyContext, PolicyRule, SopsCreationRuleView } from "./types.js";

/**
 * Runs every enabled policy rule over a loaded talconfig. When the file failed the schema, only the rules that can
 * read the raw data run (so a talconfig with a typo still gets its extension names checked).
 */
export function validateTalconfig(loaded: LoadedTalconfig, ctx: PolicyContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of POLICY_RULES) {
    if (ctx.disabledRules.has(rule.code)) continue;
    if (!loaded.config && !(rule.runsOnInvalid && loaded.raw !== undefined)) continue;
    out.push(...rule.check(loaded, ctx));
  }
  return sortDiagnostics(out);
}

import { sortDiagnostics, type Diagnostic } from "../../diagnostics/index.js";
import type { LoadedTalconfig } from "../types.js";
import { POLICY_RULES } from "./rules.js";
import type { PolicyContext } from "./types.js";

export { POLICY_RULES, BUNDLE_SECRET_PATHS, sopsEncryptsPath } from "./rules.js";
export { BUILTIN_EXTENSIONS } from "./extensions.js";
export { loadTalformSettings, TALFORM_SETTINGS_FILE, type TalformSettings } from "./settings.js";
export { nodeFacts, type NodeFacts } from "./node-facts.js";
export type { PolicyContext, PolicyRule, SopsCreationRuleView } from "./types.js";

/** Runs every enabled policy rule over a loaded talconfig; nothing to check when the model itself did not load. */
export function validateTalconfig(loaded: LoadedTalconfig, ctx: PolicyContext): Diagnostic[] {
  if (!loaded.config) return [];
  const out: Diagnostic[] = [];
  for (const rule of POLICY_RULES) {
    if (ctx.disabledRules.has(rule.code)) continue;
    out.push(...rule.check(loaded, ctx));
  }
  return sortDiagnostics(out);
}

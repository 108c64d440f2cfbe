import { join, relative } from "node:path";
import YAML from "yaml";
import type { SourcePosition } from "../../diagnostics/index.js";
import type { PolicyContext, SopsCreationRuleView } from "./types.js";

/**
 * Minimal `.sops.yaml` reading for the secrets rule when the SOPS module's resolver is not injected: the first
 * `creation_rules` entry whose `path_regex` matches the file (relative to the .sops.yaml folder, as sops does) wins;
 * an entry without `path_regex` matches everything. Only the talconfig's folder is searched (sops also walks up).
 */
export function sopsRuleFromFile(
  file: string,
  ctx: PolicyContext,
): { rule: SopsCreationRuleView | undefined; config: SourcePosition | undefined } {
  const configPath = join(ctx.talconfigDir, ".sops.yaml");
  const text = ctx.files.read(configPath);
  if (text === undefined) return { rule: undefined, config: undefined };
  const at: SourcePosition = { file: configPath, line: 1, col: 1 };
  let doc: unknown;
  try {
    doc = YAML.parse(text, { maxAliasCount: 100, logLevel: "silent" });
  } catch {
    return { rule: undefined, config: at };
  }
  const rules = (doc as { creation_rules?: unknown } | null)?.creation_rules;
  if (!Array.isArray(rules)) return { rule: undefined, config: at };
  const rel = relative(ctx.talconfigDir, file);
  for (const r of rules) {
    if (typeof r !== "object" || r === null) continue;
    const o = r as Record<string, unknown>;
    const pathRegex = typeof o.path_regex === "string" ? o.path_regex : undefined;
    let matches = true;
    if (pathRegex !== undefined) {
      try {
        matches = new RegExp(pathRegex).test(rel);
      } catch {
        matches = false;
      }
    }
    if (!matches) continue;
    const str = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
    const view: SopsCreationRuleView = {
      ...(str("encrypted_regex") ? { encryptedRegex: str("encrypted_regex")! } : {}),
      ...(str("unencrypted_regex") ? { unencryptedRegex: str("unencrypted_regex")! } : {}),
      ...(str("encrypted_suffix") ? { encryptedSuffix: str("encrypted_suffix")! } : {}),
      ...(str("unencrypted_suffix") ? { unencryptedSuffix: str("unencrypted_suffix")! } : {}),
    };
    return { rule: view, config: at };
  }
  return { rule: undefined, config: at };
}

import type { Diagnostic, Severity } from "../../diagnostics/index.js";
import type { LoadedTalconfig } from "../types.js";

/** What the policy rules may look at besides the talconfig itself. Synchronous and injected: rules stay pure. */
export interface PolicyContext {
  /** Folder of talconfig.yaml (where talsecret*, .sops.yaml and .talform.yaml live). */
  readonly talconfigDir: string;
  readonly files: {
    exists(path: string): boolean;
    /** File text, or undefined when missing/unreadable. */
    read(path: string): string | undefined;
    /** File names in a folder (optional; without it the usual talsecret names are probed). */
    list?(dir: string): readonly string[];
  };
  /** Official extension catalogue (`siderolabs/<name>`) from the Image Factory; else a built-in list is used. */
  readonly knownExtensions?: ReadonlySet<string>;
  /** The SOPS creation rule that applies to a path (from src/sops); else `.sops.yaml` is read minimally. */
  readonly sopsCreationRuleFor?: (path: string) => SopsCreationRuleView | null | undefined;
  /** Rule codes to skip (`.talform.yaml` `policy.disable`, `--disable`). */
  readonly disabledRules: ReadonlySet<string>;
}

export interface SopsCreationRuleView {
  readonly encryptedRegex?: string;
  readonly unencryptedRegex?: string;
  readonly encryptedSuffix?: string;
  readonly unencryptedSuffix?: string;
}

export interface PolicyRule {
  /** Stable code, used in findings and to disable the rule. */
  readonly code: string;
  readonly severity: Severity;
  /** One line: what the rule wants. */
  readonly summary: string;
  /** The rule reads `loaded.raw` defensively, so it also runs when the file failed the schema. */
  readonly runsOnInvalid?: boolean;
  check(loaded: LoadedTalconfig, ctx: PolicyContext): Diagnostic[];
}

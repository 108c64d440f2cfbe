import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse } from "yaml";
import { TalformError } from "../diagnostics/index.js";
import { readIfExists } from "./age.js";
import { goRegExp } from "./tree.js";
import type { SopsRule } from "./sops.js";

/** The filesystem access config discovery needs (injected; tests pass an in-memory map). */
export interface SopsConfigFs {
  readFile(path: string): Promise<string | undefined>;
}

export interface SopsCreationRule {
  readonly pathRegex?: string;
  readonly age: readonly string[];
  readonly keyGroups?: readonly (readonly string[])[];
  readonly shamirThreshold?: number;
  readonly encryptedRegex?: string;
  readonly unencryptedRegex?: string;
  readonly encryptedSuffix?: string;
  readonly unencryptedSuffix?: string;
  readonly macOnlyEncrypted?: boolean;
  /** Rule fields talform cannot honour (pgp, kms, comment regexes, …); matching such a rule is an error. */
  readonly unsupported?: readonly string[];
}

export interface SopsConfig {
  /** Absolute path of the `.sops.yaml`; rules match paths relative to its folder. */
  readonly path: string;
  readonly creationRules: readonly SopsCreationRule[];
}

/** What `creationRuleFor` returns: the rule in the shape `encryptSopsText` takes. */
export interface MatchedCreationRule extends SopsRule {
  readonly keyGroups: readonly (readonly string[])[];
}

const UNSUPPORTED_RULE_FIELDS = [
  "pgp",
  "kms",
  "gcp_kms",
  "hckms",
  "azure_keyvault",
  "hc_vault_transit_uri",
  "encrypted_comment_regex",
  "unencrypted_comment_regex",
];

/** sops accepts `age:` as a comma-separated string (empty parts dropped) or as a list. */
function recipientList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  const parts = typeof v === "string" ? v.split(",") : Array.isArray(v) ? v.map(String) : undefined;
  if (!parts) throw new TalformError(`${where}: age must be a string or a list`, { code: "sops-config" });
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function optionalString(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function parseSopsConfig(text: string, path: string): SopsConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new TalformError(`${path}: ${(e as Error).message}`, { code: "sops-config" });
  }
  const rulesRaw = (raw as { creation_rules?: unknown } | null)?.creation_rules ?? [];
  if (!Array.isArray(rulesRaw))
    throw new TalformError(`${path}: creation_rules must be a list`, { code: "sops-config" });
  const creationRules = rulesRaw.map((r: Record<string, unknown>, i): SopsCreationRule => {
    const where = `${path}: creation_rules[${i}]`;
    const groups = Array.isArray(r.key_groups)
      ? (r.key_groups as Record<string, unknown>[]).map((g, j) => recipientList(g?.age, `${where}.key_groups[${j}]`))
      : undefined;
    const selectors = ["encrypted_regex", "unencrypted_regex", "encrypted_suffix", "unencrypted_suffix"].filter((k) =>
      optionalString(r[k]),
    );
    if (selectors.length > 1)
      throw new TalformError(`${where}: only one of ${selectors.join(", ")} may be set`, { code: "sops-config" });
    const pathRegex = optionalString(r.path_regex);
    const unsupported = UNSUPPORTED_RULE_FIELDS.filter(
      (k) => r[k] !== undefined && r[k] !== null && r[k] !== "" && !(Array.isArray(r[k]) && r[k].length === 0),
    );
    const groupUnsupported = Array.isArray(r.key_groups)
      ? (r.key_groups as Record<string, unknown>[]).flatMap((g) =>
          Object.keys(g ?? {})
            .filter((k) => k !== "age")
            .map((k) => `key_groups.${k}`),
        )
      : [];
    return {
      ...(unsupported.length + groupUnsupported.length > 0
        ? { unsupported: [...unsupported, ...groupUnsupported] }
        : {}),
      ...(pathRegex ? { pathRegex } : {}),
      age: recipientList(r.age, where),
      ...(groups ? { keyGroups: groups } : {}),
      ...(typeof r.shamir_threshold === "number" ? { shamirThreshold: r.shamir_threshold } : {}),
      ...(optionalString(r.encrypted_regex) ? { encryptedRegex: r.encrypted_regex as string } : {}),
      ...(optionalString(r.unencrypted_regex) ? { unencryptedRegex: r.unencrypted_regex as string } : {}),
      ...(optionalString(r.encrypted_suffix) ? { encryptedSuffix: r.encrypted_suffix as string } : {}),
      ...(optionalString(r.unencrypted_suffix) ? { unencryptedSuffix: r.unencrypted_suffix as string } : {}),
      ...(r.mac_only_encrypted === true ? { macOnlyEncrypted: true } : {}),
    };
  });
  return { path, creationRules };
}

/**
 * Finds `.sops.yaml` by walking up from `startDir` (at most 100 levels, like sops's `LookupConfigFile`).
 * sops itself starts at the working directory; talform starts at the target file's folder so the rule that
 * governs a file does not depend on where the command runs. `.sops.yml` is ignored, as sops does.
 */
export async function findSopsConfig(startDir: string, fs: SopsConfigFs): Promise<SopsConfig | undefined> {
  let dir = resolve(startDir);
  for (let i = 0; i < 100; i++) {
    const candidate = join(dir, ".sops.yaml");
    const text = await readIfExists((p) => fs.readFile(p), candidate);
    if (text !== undefined) return parseSopsConfig(text, candidate);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/**
 * The first creation rule whose `path_regex` matches (unanchored RE2) — or that has none — as sops does. The path is
 * made absolute, then relative to the config's folder when it lies below it (sops: `TrimPrefix(abs, configDir+"/")`).
 */
export function creationRuleFor(
  config: SopsConfig,
  filePath: string /* absolute; relative paths resolve against the process cwd */,
): MatchedCreationRule | undefined {
  const abs = isAbsolute(filePath) ? filePath : resolve(filePath);
  const configDir = dirname(config.path);
  const prefix = configDir.endsWith("/") ? configDir : `${configDir}/`;
  const relative = abs.startsWith(prefix) ? abs.slice(prefix.length) : abs;
  for (const rule of config.creationRules) {
    if (rule.pathRegex !== undefined && !goRegExp(rule.pathRegex).test(relative)) continue;
    if (rule.unsupported) {
      throw new TalformError(
        `${config.path}: the creation rule for ${relative} uses ${rule.unsupported.join(", ")}, which talform does not support`,
        {
          code: "sops-config",
          hint: "talform encrypts with age recipients only; use the sops binary for this file, or give it an age-only rule",
        },
      );
    }
    const keyGroups = rule.keyGroups && rule.keyGroups.length > 0 ? rule.keyGroups : [rule.age];
    return {
      ageRecipients: rule.age.length > 0 ? rule.age : keyGroups.flat(),
      keyGroups,
      ...(rule.shamirThreshold !== undefined ? { shamirThreshold: rule.shamirThreshold } : {}),
      ...(rule.encryptedRegex !== undefined ? { encryptedRegex: rule.encryptedRegex } : {}),
      ...(rule.unencryptedRegex !== undefined ? { unencryptedRegex: rule.unencryptedRegex } : {}),
      ...(rule.encryptedSuffix !== undefined ? { encryptedSuffix: rule.encryptedSuffix } : {}),
      ...(rule.unencryptedSuffix !== undefined ? { unencryptedSuffix: rule.unencryptedSuffix } : {}),
      ...(rule.macOnlyEncrypted ? { macOnlyEncrypted: true } : {}),
    };
  }
  return undefined;
}

import { constants } from "node:fs";
import { copyFile, readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { TalformError } from "../diagnostics/index.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { creationRuleFor, findSopsConfig, type MatchedCreationRule } from "./config.js";
import type { SopsMetadata } from "./metadata.js";
import type { SopsRule } from "./sops.js";
import { encryptSopsText, isSopsEncrypted } from "./sops.js";
import { readOptionalFile } from "./read.js";

/** The creation rule of the `.sops.yaml` above `absPath` (searched from the file's folder), or a TalformError that says how to add one. */
export async function requireCreationRule(absPath: string): Promise<MatchedCreationRule> {
  const config = await findSopsConfig(dirname(absPath), { readFile: readOptionalFile });
  const rule = config ? creationRuleFor(config, absPath) : undefined;
  if (rule) return rule;
  const where = config
    ? `${config.path} has no creation_rules entry whose path_regex matches ${absPath}`
    : `no .sops.yaml found in ${dirname(absPath)} or any parent folder`;
  throw new TalformError(`cannot encrypt ${absPath}: ${where}`, {
    code: "sops-no-rule",
    hint: `add a rule to ${config?.path ?? join(dirname(absPath), ".sops.yaml")}, e.g.\n  creation_rules:\n    - path_regex: ${basename(absPath).replaceAll(".", "\\.")}$\n      age: age1…   # your public key (age-keygen -y ~/.config/sops/age/keys.txt)`,
  });
}

/** The rule that reproduces an encrypted file's own keys and selectors (used when re-encrypting after an edit). */
export function ruleFromMetadata(m: SopsMetadata): SopsRule {
  const groups = m.keyGroups.map((g) => g.age.map((s) => s.recipient));
  return {
    ageRecipients: groups[0] ?? [],
    ...(groups.length > 1 ? { keyGroups: groups } : {}),
    ...(m.shamirThreshold !== undefined ? { shamirThreshold: m.shamirThreshold } : {}),
    ...(m.encryptedRegex !== undefined ? { encryptedRegex: m.encryptedRegex } : {}),
    ...(m.unencryptedRegex !== undefined ? { unencryptedRegex: m.unencryptedRegex } : {}),
    ...(m.encryptedSuffix !== undefined ? { encryptedSuffix: m.encryptedSuffix } : {}),
    ...(m.unencryptedSuffix !== undefined ? { unencryptedSuffix: m.unencryptedSuffix } : {}),
    ...(m.macOnlyEncrypted ? { macOnlyEncrypted: true } : {}),
  };
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}

/**
 * Keeps a copy of `absPath` next to it as `<name>.backup-<UTC stamp><ext>` before it is overwritten. The copy is
 * always encrypted: a sops file is copied as is; a plaintext file is encrypted with `rule` first (and refused when
 * there is no rule). Returns the backup path.
 */
export async function backupEncrypted(absPath: string, rule: SopsRule | undefined, now: Date): Promise<string> {
  const ext = extname(absPath);
  // Two --force runs within one second must not overwrite the first backup (it may be the only copy of the original).
  let backup = join(dirname(absPath), `${basename(absPath, ext)}.backup-${stamp(now)}${ext}`);
  for (let n = 1; await fileExists(backup); n++)
    backup = join(dirname(absPath), `${basename(absPath, ext)}.backup-${stamp(now)}-${n}${ext}`);
  const text = await readFile(absPath, "utf8");
  if (isSopsEncrypted(text)) {
    await copyFile(absPath, backup, constants.COPYFILE_EXCL);
    return backup;
  }
  if (!rule) {
    throw new TalformError(`${absPath} holds plaintext and there is no .sops.yaml rule to encrypt a backup with`, {
      code: "secrets-backup",
      hint: "move the file somewhere safe yourself, or add a .sops.yaml creation rule, then run again",
    });
  }
  await writeFileAtomic(backup, await encryptSopsText(text, { path: absPath, rule }));
  return backup;
}

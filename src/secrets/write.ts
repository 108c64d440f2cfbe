import { TalformError } from "../diagnostics/index.js";
import type { TalosContract } from "../contract/index.js";
import {
  backupEncrypted,
  encryptSopsText,
  fileExists,
  requireCreationRule,
  type MatchedCreationRule,
} from "../sops/index.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { SecretsBundle } from "./bundle.js";
import { generateSecretsBundle } from "./generate.js";
import { serializeSecretsBundle } from "./serialize.js";

export interface WriteSecretsOptions {
  /** Absolute path of the file to write. */
  readonly target: string;
  /** How the user named it, for messages. */
  readonly displayName: string;
  readonly contract: TalosContract;
  readonly force?: boolean;
  readonly plaintext?: boolean;
  readonly now?: () => Date;
  /** Injected in tests (RSA-4096 is slow); defaults to `generateSecretsBundle`. */
  readonly generate?: (contract: TalosContract) => Promise<SecretsBundle>;
}

export interface WriteSecretsResult {
  readonly encrypted: boolean;
  readonly recipients: number;
  readonly backup?: string;
}

/**
 * Generates a bundle and writes it to `target`: sops-encrypted in memory with the matching `.sops.yaml` rule
 * (only ciphertext reaches the folder), or plaintext when asked. Every check that can fail runs before a secret
 * exists; an existing file is replaced only with `force`, after an encrypted backup.
 */
export async function writeSecretsFile(options: WriteSecretsOptions): Promise<WriteSecretsResult> {
  const { target, displayName, contract } = options;
  const now = options.now ?? (() => new Date());
  const exists = await fileExists(target);
  if (exists && !options.force) {
    throw new TalformError(`${displayName} already exists; refusing to overwrite a secrets bundle`, {
      code: "secrets-exists",
      hint: "a new bundle means a new cluster PKI; pass --force to replace it (an encrypted backup is kept)",
    });
  }
  let rule: MatchedCreationRule | undefined;
  try {
    rule = await requireCreationRule(target);
  } catch (e) {
    if (!options.plaintext) throw e;
  }
  const backup = exists ? await backupEncrypted(target, rule, now()) : undefined;
  const text = serializeSecretsBundle(await (options.generate ?? ((c) => generateSecretsBundle(c)))(contract));
  if (options.plaintext) {
    await writeFileAtomic(target, text, { mode: 0o600 });
    return { encrypted: false, recipients: 0, ...(backup ? { backup } : {}) };
  }
  const encrypted = await encryptSopsText(text, { path: target, format: "yaml", rule: rule! });
  await writeFileAtomic(target, encrypted, { mode: 0o600 });
  const recipients = (rule!.keyGroups.length > 1 ? rule!.keyGroups.flat() : rule!.ageRecipients).length;
  return { encrypted: true, recipients, ...(backup ? { backup } : {}) };
}

import { loadAgeIdentities } from "./age.js";
import { readOptionalFile } from "./read.js";
import { decryptSopsText, isSopsEncrypted } from "./sops.js";

export { loadAgeIdentities, recipientOf, type ReadOptionalFile } from "./age.js";
export {
  creationRuleFor,
  findSopsConfig,
  parseSopsConfig,
  type MatchedCreationRule,
  type SopsConfig,
  type SopsConfigFs,
  type SopsCreationRule,
} from "./config.js";
export {
  decryptSopsText,
  encryptSopsText,
  isSopsEncrypted,
  openSopsText,
  type DecryptOptions,
  type EncryptOptions,
  type OpenedSopsFile,
  type SopsRule,
} from "./sops.js";
export { formatForPath, type SopsFormat } from "./stores.js";
export type { SopsMetadata } from "./metadata.js";

export { ageRecipientProblem, sopsRecipientDiagnostics } from "./recipients.js";
export { ageIdentityLocations, existingRecipients, newAgeKey, type NewAgeKey } from "./keygen.js";
export { readOptionalFile } from "./read.js";
export { backupEncrypted, fileExists, requireCreationRule, ruleFromMetadata } from "./files.js";

/**
 * A decryptor bound to an environment (for loaders that only need "decrypt this if it is sops"). Identities are
 * loaded once, on first use, from the env map — never from `process.env`.
 */
export function createSopsDecryptor(env: Record<string, string | undefined>): {
  isEncrypted(text: string): boolean;
  decrypt(text: string, path: string): Promise<string>;
} {
  let identities: Promise<string[]> | undefined;
  return {
    isEncrypted: (text) => isSopsEncrypted(text),
    async decrypt(text, path) {
      identities ??= loadAgeIdentities(env, readOptionalFile);
      return decryptSopsText(text, { path, identities: await identities });
    },
  };
}

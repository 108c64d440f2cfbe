import { generateIdentity, identityToRecipient } from "age-encryption";
import { loadAgeIdentities, type ReadOptionalFile } from "./age.js";

/**
 * Where sops (and talform) look for age identities, in order, for this environment. The key file talform writes goes
 * to the last one, the default location sops reads without any variable set.
 */
export function ageIdentityLocations(env: Readonly<Record<string, string | undefined>>): {
  readonly envKey: boolean;
  readonly keyFile?: string;
  readonly defaultFile?: string;
} {
  const configDir = env.XDG_CONFIG_HOME || (env.HOME ? `${env.HOME}/.config` : undefined);
  return {
    envKey: Boolean(env.SOPS_AGE_KEY),
    ...(env.SOPS_AGE_KEY_FILE ? { keyFile: env.SOPS_AGE_KEY_FILE } : {}),
    ...(configDir ? { defaultFile: `${configDir}/sops/age/keys.txt` } : {}),
  };
}

/** The public keys of the identities sops would use now (empty when there are none anywhere). */
export async function existingRecipients(
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadOptionalFile,
): Promise<string[]> {
  const identities = await loadAgeIdentities(env, readFile);
  return Promise.all(identities.map((i) => identityToRecipient(i)));
}

export interface NewAgeKey {
  readonly identity: string;
  readonly recipient: string;
  /** The key file as age-keygen writes it: creation time, public key, identity. */
  readonly text: string;
}

/** A fresh X25519 age identity (the age-encryption library), in age-keygen's file format. */
export async function newAgeKey(now: Date = new Date()): Promise<NewAgeKey> {
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const created = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return { identity, recipient, text: `# created: ${created}\n# public key: ${recipient}\n${identity}\n` };
}

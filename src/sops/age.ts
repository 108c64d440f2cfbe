import { Decrypter, Encrypter, armor, identityToRecipient } from "age-encryption";
import { TalformError } from "../diagnostics/index.js";

/**
 * Reads a file's text, or undefined when it does not exist (a reader that throws ENOENT, like `fs.readFile`, works
 * too). Injected so the library never touches the real home directory by itself.
 */
export type ReadOptionalFile = (path: string) => Promise<string | undefined>;

/** Calls `read`, mapping a thrown ENOENT/ENOTDIR to undefined. */
export async function readIfExists(read: ReadOptionalFile, path: string): Promise<string | undefined> {
  try {
    return await read(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw e;
  }
}

function keysIn(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .flatMap((l) => l.split(/\s+/));
}

/**
 * The age identities sops would use: `SOPS_AGE_KEY` (whitespace-separated), `SOPS_AGE_KEY_FILE`, and
 * `$XDG_CONFIG_HOME/sops/age/keys.txt` (Go's `os.UserConfigDir`: `$HOME/.config` when XDG_CONFIG_HOME is unset).
 * All sources are combined, like sops does. SSH keys and `SOPS_AGE_KEY_CMD` are not supported.
 */
export async function loadAgeIdentities(
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadOptionalFile,
): Promise<string[]> {
  const found: string[] = [];
  if (env.SOPS_AGE_KEY) found.push(...keysIn(env.SOPS_AGE_KEY));
  if (env.SOPS_AGE_KEY_FILE) {
    const text = await readIfExists(readFile, env.SOPS_AGE_KEY_FILE);
    if (text === undefined)
      throw new TalformError(`SOPS_AGE_KEY_FILE points to ${env.SOPS_AGE_KEY_FILE}, which does not exist`, {
        code: "sops-identity",
        hint: "fix SOPS_AGE_KEY_FILE or unset it",
      });
    found.push(...keysIn(text));
  }
  const configDir = env.XDG_CONFIG_HOME || (env.HOME ? `${env.HOME}/.config` : undefined);
  if (configDir) {
    const text = await readIfExists(readFile, `${configDir}/sops/age/keys.txt`);
    if (text !== undefined) found.push(...keysIn(text));
  }
  const identities = [...new Set(found.filter((k) => k.startsWith("AGE-SECRET-KEY-")))];
  if (identities.length === 0 && env.SOPS_AGE_KEY_CMD) {
    throw new TalformError("SOPS_AGE_KEY_CMD is set, but talform does not run key commands", {
      code: "sops-identity",
      hint: 'export SOPS_AGE_KEY="$(<your command>)" instead',
    });
  }
  return identities;
}

/** Public recipient of an identity (for messages and for matching identities to `age:` entries). */
export async function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}

/** Wraps `payload` for one recipient as an armored age file, as sops does (one age file per recipient). */
export async function wrapForRecipient(payload: Uint8Array, recipient: string): Promise<string> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return armor.encode(await e.encrypt(payload));
}

/** Unwraps an armored age file with any of the identities; undefined when none of them is a recipient. */
export async function unwrapWithIdentities(
  armored: string,
  identities: readonly string[],
): Promise<Uint8Array | undefined> {
  if (identities.length === 0) return undefined;
  let file: Uint8Array;
  try {
    file = armor.decode(armored);
  } catch {
    return undefined;
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    // Given bytes, age-encryption collects its output through `new Response(stream)`, which makes Node load its whole
    // fetch implementation (undici, ~20 ms of a genconfig run); given a stream it returns one, read here instead.
    // Every chunk is authenticated as it is read, so a tampered file still fails (and yields undefined).
    return await readStream(await d.decrypt(streamOf(file)));
  } catch {
    return undefined;
  }
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return new Uint8Array(Buffer.concat(chunks));
    chunks.push(value);
  }
}

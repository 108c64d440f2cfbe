import { randomBytes as nodeRandomBytes } from "node:crypto";
import { Scalar } from "yaml";
import { TalformError } from "../diagnostics/index.js";
import {
  formatEncryptedValue,
  looksEncrypted,
  openValue,
  parseEncryptedValue,
  sealValue,
  SOPS_IV_BYTES,
  type SopsValueType,
} from "./cipher.js";
import { ageRecipientProblem, RECIPIENT_HINT } from "./recipients.js";
import { unwrapWithIdentities, wrapForRecipient } from "./age.js";
import {
  DEFAULT_UNENCRYPTED_SUFFIX,
  metadataToPlain,
  parseMetadata,
  SOPS_FORMAT_VERSION,
  SopsMetadataError,
  type EncryptionSelection,
  type KeyGroup,
  type SopsMetadata,
} from "./metadata.js";
import { shamirCombine, shamirSplit } from "./shamir.js";
import {
  emitStore,
  formatForPath,
  hasMetadata,
  parseStore,
  SopsStoreError,
  takeDotenvMetadata,
  takeMetadata,
  type SopsFormat,
  type SopsTree,
} from "./stores.js";
import { leafPlaintext, MacHasher, shouldEncrypt, SopsTreeError, typedValue, walkDocument } from "./tree.js";

/** An opened (decrypted) sops file: everything needed to write it back with minimal changes. */
export interface OpenedSopsFile {
  readonly plaintext: string;
  readonly format: SopsFormat;
  readonly metadata: SopsMetadata;
  readonly dataKey: Uint8Array;
  /** `(aad, type, plaintext)` → the ENC string it had, so unchanged values keep their ciphertext. */
  readonly stash: ReadonlyMap<string, string>;
}

export interface DecryptOptions {
  /** Used in messages and to pick the store when `format` is not given. */
  readonly path: string;
  readonly format?: SopsFormat;
  /** `AGE-SECRET-KEY-1…` strings (see `loadAgeIdentities`). */
  readonly identities: readonly string[];
}

/** Which keys protect a file, and which values get encrypted — what a `.sops.yaml` creation rule says. */
export interface SopsRule extends EncryptionSelection {
  /** Recipients of a single key group (the common case). */
  readonly ageRecipients: readonly string[];
  /** Several groups: the data key is Shamir-split, one share per group. When set, `ageRecipients` is ignored. */
  readonly keyGroups?: readonly (readonly string[])[];
  readonly shamirThreshold?: number;
}

export interface EncryptOptions {
  readonly path: string;
  readonly format?: SopsFormat;
  /** Keys and selectors (usually from `creationRuleFor`). */
  readonly rule?: SopsRule;
  /** Shorthand for `rule: { ageRecipients }` when there is no rule. */
  readonly recipients?: readonly string[];
  /** Re-encrypting an opened file: keeps its data key, key stanzas and unchanged ciphertexts. */
  readonly previous?: OpenedSopsFile;
  readonly now?: () => Date;
  readonly randomBytes?: (n: number) => Uint8Array;
}

const defaultRandom = (n: number): Uint8Array => new Uint8Array(nodeRandomBytes(n));

function fail(path: string, message: string, hint?: string): never {
  throw new TalformError(`${path}: ${message}`, { code: "sops", ...(hint ? { hint } : {}) });
}

// The tree isSopsEncrypted read from an encrypted text, for the openSopsText that usually follows on the same text
// ("is it sops?", then decrypt): one parse instead of two. Taken at most once, as decryption changes the tree.
let checkedTree: { readonly text: string; readonly format: SopsFormat; readonly tree: SopsTree } | undefined;

function parseOrFail(path: string, text: string, format: SopsFormat): SopsTree {
  const checked = checkedTree;
  checkedTree = undefined;
  if (checked && checked.text === text && checked.format === format) return checked.tree;
  try {
    return parseStore(text, format);
  } catch (e) {
    if (e instanceof SopsStoreError || e instanceof SopsTreeError) fail(path, e.message);
    throw e;
  }
}

function stashKey(aad: string, type: SopsValueType, text: string): string {
  return `${type}\u0000${aad}\u0000${text}`;
}

/** Whether the text is a sops-encrypted YAML, JSON or dotenv file (has sops metadata). */
export function isSopsEncrypted(text: string, format?: SopsFormat): boolean {
  // Without "sops" in it (or an escape that could spell it) no format has the metadata.
  if (!text.includes("sops") && !text.includes("\\")) return false;
  const formats: SopsFormat[] = format ? [format] : ["yaml", "json", "dotenv"];
  for (const f of formats) {
    try {
      if (f === "dotenv") {
        if (/^sops_(mac|lastmodified)=/m.test(text)) return true;
        continue;
      }
      const tree = parseStore(text, f);
      if (tree.documents.length > 0 && hasMetadata(tree.documents[0]!)) {
        checkedTree = { text, format: f, tree };
        return true;
      }
    } catch {
      // not this format
    }
  }
  return false;
}

async function recoverDataKey(
  path: string,
  metadata: SopsMetadata,
  identities: readonly string[],
): Promise<Uint8Array> {
  const recipients = metadata.keyGroups.flatMap((g) => g.age.map((s) => s.recipient));
  const hint =
    identities.length === 0
      ? "no age identity found: set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE, or put the key in ~/.config/sops/age/keys.txt"
      : `none of your ${identities.length} age identities is a recipient of this file (recipients: ${recipients.join(", ") || "none"})`;
  const shares: Uint8Array[] = [];
  for (const group of metadata.keyGroups) {
    for (const stanza of group.age) {
      const share = await unwrapWithIdentities(stanza.enc, identities);
      if (share) {
        shares.push(share);
        break;
      }
    }
  }
  if (metadata.keyGroups.length <= 1) {
    if (shares.length === 0 || shares[0]!.length !== 32) fail(path, "cannot decrypt the sops data key", hint);
    return shares[0]!;
  }
  const threshold = metadata.shamirThreshold ?? metadata.keyGroups.length;
  if (shares.length < threshold)
    fail(
      path,
      `cannot decrypt the sops data key: ${shares.length} of the ${threshold} key groups needed could be opened`,
      hint,
    );
  try {
    const key = shamirCombine(shares.slice(0, threshold));
    if (key.length !== 32) throw new Error("bad length");
    return key;
  } catch {
    return fail(path, "cannot rebuild the sops data key from the key-group shares");
  }
}

/**
 * Decrypts a sops file, verifying every value and the MAC before returning anything. Any failure throws a
 * TalformError naming the file; partial plaintext is never returned.
 */
export async function openSopsText(text: string, options: DecryptOptions): Promise<OpenedSopsFile> {
  const { path } = options;
  const format = options.format ?? formatForPath(path);
  const tree = parseOrFail(path, text, format);
  let rawMetadata: unknown;
  if (format === "dotenv") rawMetadata = takeDotenvMetadata(tree.documents[0]!);
  else
    for (const [i, doc] of tree.documents.entries()) {
      const m = takeMetadata(doc);
      if (i === 0) rawMetadata = m;
    }
  if (rawMetadata === undefined)
    fail(
      path,
      "is not a sops-encrypted file (no sops metadata)",
      "encrypt it with `talform sops encrypt` or sops first",
    );
  let metadata: SopsMetadata;
  try {
    metadata = parseMetadata(rawMetadata);
  } catch (e) {
    if (e instanceof SopsMetadataError) fail(path, e.message);
    throw e;
  }
  const dataKey = await recoverDataKey(path, metadata, options.identities);
  const stash = new Map<string, string>();
  const mac = new MacHasher(metadata.macOnlyEncrypted === true);
  for (const doc of tree.documents) {
    let walked;
    try {
      walked = walkDocument(doc);
    } catch (e) {
      if (e instanceof SopsTreeError) fail(path, e.message);
      throw e;
    }
    for (const leaf of walked.leaves) {
      const value = leaf.scalar.value;
      const where = leaf.path.join(".") || "(root)";
      const encrypted = shouldEncrypt(leaf.path, metadata);
      if (!encrypted || typeof value !== "string" || value === "") {
        if (encrypted && value !== null && value !== undefined && value !== "")
          fail(path, `${where} should be encrypted but is plaintext`, "the file was modified outside sops; restore it");
        const plain = leafPlaintext(value, format);
        if (plain && !metadata.macOnlyEncrypted) mac.add(plain.text);
        continue;
      }
      const parsed = parseEncryptedValue(value);
      if (!parsed)
        fail(
          path,
          `${where} is not a valid sops ENC[…] value`,
          "the file is damaged or was edited by hand; restore it from version control",
        );
      const aad = leaf.path.map((k) => `${k}:`).join("");
      const bytes = openValue(parsed, dataKey, aad);
      if (!bytes)
        fail(
          path,
          `${where} failed authentication (tampered value or wrong data key)`,
          "restore the file from version control",
        );
      const plainText = Buffer.from(bytes).toString(parsed.type === "bytes" ? "latin1" : "utf8");
      stash.set(stashKey(aad, parsed.type, plainText), value);
      mac.add(bytes);
      try {
        leaf.scalar.value = typedValue(parsed.type, plainText);
      } catch (e) {
        if (e instanceof SopsTreeError)
          fail(path, `${where}: ${e.message} (its type tag was changed)`, "restore the file from version control");
        throw e;
      }
      leaf.scalar.type = undefined;
      delete (leaf.scalar as { format?: string }).format;
      // An integral float is written as `1234568000.0` so it reads back as a float (and keeps its ciphertext).
      leaf.scalar.minFractionDigits = parsed.type === "float" ? 1 : 0;
    }
    for (const site of walked.comments) {
      const current = site.get();
      if (!current) continue;
      const lines = current.split("\n").map((line) => {
        if (!looksEncrypted(line)) return line;
        const parsed = parseEncryptedValue(line);
        if (parsed) {
          // A comment's AAD is the path of the mapping that holds it; try the enclosing mappings too, since
          // comment placement differs slightly between YAML libraries.
          for (let n = site.path.length; n >= 0; n--) {
            const aad =
              site.path
                .slice(0, n)
                .map((k) => `${k}:`)
                .join("") || ":";
            const bytes = openValue(parsed, dataKey, aad);
            if (bytes) {
              const plain = Buffer.from(bytes).toString("utf8");
              stash.set(stashKey(aad, "comment", plain), line);
              return plain;
            }
          }
        }
        return fail(
          path,
          `an encrypted comment under ${site.path.join(".") || "the root"} failed authentication`,
          "restore the file from version control",
        );
      });
      site.set(lines.join("\n"));
    }
  }
  const macValue = parseEncryptedValue(metadata.mac);
  const storedMac = macValue ? openValue(macValue, dataKey, metadata.lastModified) : undefined;
  if (!storedMac)
    fail(
      path,
      "the sops MAC failed authentication (tampered mac or lastmodified)",
      "restore the file from version control",
    );
  if (Buffer.from(storedMac).toString("utf8") !== mac.digest()) {
    fail(path, "MAC mismatch: the file's values were changed outside sops", "restore the file from version control");
  }
  return { plaintext: emitStore(tree, undefined), format, metadata, dataKey, stash };
}

/** Decrypts a sops file to its plaintext text (same format). */
export async function decryptSopsText(text: string, options: DecryptOptions): Promise<string> {
  return (await openSopsText(text, options)).plaintext;
}

/** RFC 3339 in UTC without fractional seconds, like Go's `time.RFC3339` on a UTC time. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function sameRecipients(groups: readonly KeyGroup[], wanted: readonly (readonly string[])[]): boolean {
  return (
    groups.length === wanted.length &&
    groups.every((g, i) => g.age.map((s) => s.recipient).join(",") === [...wanted[i]!].join(","))
  );
}

async function wrapDataKey(
  dataKey: Uint8Array,
  groups: readonly (readonly string[])[],
  threshold: number | undefined,
  random: (n: number) => Uint8Array,
): Promise<KeyGroup[]> {
  const shares =
    groups.length === 1 ? [dataKey] : shamirSplit(dataKey, groups.length, threshold ?? groups.length, random);
  return Promise.all(
    groups.map(async (recipients, i) => ({
      age: await Promise.all(
        recipients.map(async (recipient) => ({ recipient, enc: await wrapForRecipient(shares[i]!, recipient) })),
      ),
      other: {},
    })),
  );
}

function selectionOf(rule: EncryptionSelection): EncryptionSelection {
  const set = (["encryptedRegex", "unencryptedRegex", "encryptedSuffix", "unencryptedSuffix"] as const).filter(
    (k) => rule[k] !== undefined && rule[k] !== "",
  );
  if (set.length > 1)
    throw new TalformError(
      `a sops rule may set only one of encrypted_regex, unencrypted_regex, encrypted_suffix, unencrypted_suffix (got ${set.join(", ")})`,
      { code: "sops" },
    );
  const base: EncryptionSelection =
    set.length === 0 ? { unencryptedSuffix: DEFAULT_UNENCRYPTED_SUFFIX } : { [set[0]!]: rule[set[0]!] };
  return rule.macOnlyEncrypted ? { ...base, macOnlyEncrypted: true } : base;
}

/** Encrypts a plaintext YAML/JSON/dotenv text into a sops file. */
export async function encryptSopsText(plaintext: string, options: EncryptOptions): Promise<string> {
  const { path, previous } = options;
  const rule: SopsRule = options.rule ?? { ageRecipients: options.recipients ?? [] };
  const random = options.randomBytes ?? defaultRandom;
  const now = options.now ?? (() => new Date());
  const format = options.format ?? formatForPath(path);
  const tree = parseOrFail(path, plaintext, format);
  if (
    (format === "dotenv" && /^sops_(mac|lastmodified)=/m.test(plaintext)) ||
    (format !== "dotenv" && tree.documents.some(hasMetadata))
  ) {
    fail(path, "is already sops-encrypted", "decrypt it first, or use `talform sops edit`");
  }
  const groups = rule.keyGroups && rule.keyGroups.length > 0 ? rule.keyGroups : [rule.ageRecipients];
  if (groups.some((g) => g.length === 0))
    fail(path, "the sops rule has no age recipients", "add `age: age1…` to the creation rule in .sops.yaml");
  for (const r of groups.flat()) {
    const problem = ageRecipientProblem(r);
    if (problem !== undefined)
      fail(path, `the .sops.yaml rule's recipient "${r}" is not an age public key (${problem})`, RECIPIENT_HINT);
  }
  const selection = selectionOf(rule);
  const dataKey = previous?.dataKey ?? random(32);
  const keyGroups =
    previous &&
    sameRecipients(previous.metadata.keyGroups, groups) &&
    previous.metadata.shamirThreshold === rule.shamirThreshold
      ? previous.metadata.keyGroups
      : await wrapDataKey(dataKey, groups, rule.shamirThreshold, random);
  const stash = previous?.stash ?? new Map<string, string>();
  const seal = (text: string, aad: string, type: SopsValueType): string => {
    const reused = stash.get(stashKey(aad, type, text));
    if (reused) return reused;
    return formatEncryptedValue(
      sealValue(Buffer.from(text, type === "bytes" ? "latin1" : "utf8"), dataKey, random(SOPS_IV_BYTES), aad, type),
    );
  };
  const mac = new MacHasher(selection.macOnlyEncrypted === true);
  for (const doc of tree.documents) {
    let walked;
    try {
      walked = walkDocument(doc);
    } catch (e) {
      if (e instanceof SopsTreeError) fail(path, e.message);
      throw e;
    }
    for (const leaf of walked.leaves) {
      const plain = leafPlaintext(leaf.scalar.value, format);
      if (!plain) continue;
      const encrypt = shouldEncrypt(leaf.path, selection);
      if (encrypt || !selection.macOnlyEncrypted) mac.add(plain.text);
      if (!encrypt) continue;
      leaf.scalar.value = seal(plain.text, leaf.path.map((k) => `${k}:`).join(""), plain.type);
      leaf.scalar.type = Scalar.PLAIN;
      delete (leaf.scalar as { format?: string }).format;
    }
    for (const site of walked.comments) {
      const current = site.get();
      if (!current || !shouldEncrypt(site.path, selection)) continue;
      const aad = site.path.map((k) => `${k}:`).join("") || ":";
      site.set(
        current
          .split("\n")
          .map((line) => (line === "" ? line : seal(line, aad, "comment")))
          .join("\n"),
      );
    }
  }
  const lastModified = rfc3339(now());
  const macEnc = formatEncryptedValue(
    sealValue(Buffer.from(mac.digest(), "utf8"), dataKey, random(SOPS_IV_BYTES), lastModified, "str"),
  );
  const metadata: SopsMetadata = {
    keyGroups,
    usesKeyGroups: groups.length > 1,
    ...(groups.length > 1 && rule.shamirThreshold !== undefined ? { shamirThreshold: rule.shamirThreshold } : {}),
    lastModified,
    mac: macEnc,
    version: SOPS_FORMAT_VERSION,
    ...selection,
  };
  return emitStore(tree, metadataToPlain(metadata));
}

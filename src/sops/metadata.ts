/**
 * The `sops:` metadata block, as a typed value and as the plain ordered object every store writes.
 * Field names and order follow sops 3.13 (metadata keys sorted alphabetically, `enc` before `recipient`).
 */

export interface AgeStanza {
  readonly recipient: string;
  /** Armored age file holding the data key (or this group's Shamir share). */
  readonly enc: string;
}

export interface KeyGroup {
  readonly age: readonly AgeStanza[];
  /** Key types talform cannot use (pgp, kms, …), kept verbatim so re-encrypting does not drop them. */
  readonly other: Readonly<Record<string, unknown>>;
}

/** Which values get encrypted; at most one of the four selectors is set. */
export interface EncryptionSelection {
  readonly encryptedRegex?: string;
  readonly unencryptedRegex?: string;
  readonly encryptedSuffix?: string;
  readonly unencryptedSuffix?: string;
  readonly macOnlyEncrypted?: boolean;
}

export interface SopsMetadata extends EncryptionSelection {
  readonly keyGroups: readonly KeyGroup[];
  /** True when the file uses `key_groups:` rather than flat key lists. */
  readonly usesKeyGroups: boolean;
  readonly shamirThreshold?: number;
  readonly lastModified: string;
  readonly mac: string;
  readonly version: string;
}

/** What talform writes as `version`: the sops release whose output format it reproduces. */
export const SOPS_FORMAT_VERSION = "3.13.3";

export const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted";

const SELECTOR_FIELDS = [
  ["encrypted_regex", "encryptedRegex"],
  ["unencrypted_regex", "unencryptedRegex"],
  ["encrypted_suffix", "encryptedSuffix"],
  ["unencrypted_suffix", "unencryptedSuffix"],
] as const;

const KEY_TYPES = ["age", "pgp", "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault"] as const;

export class SopsMetadataError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseGroup(raw: Record<string, unknown>): KeyGroup {
  const ageRaw = raw.age ?? [];
  if (!Array.isArray(ageRaw)) throw new SopsMetadataError("sops.age must be a list");
  const age = ageRaw.map((e, i) => {
    if (!isRecord(e) || typeof e.recipient !== "string" || typeof e.enc !== "string") {
      throw new SopsMetadataError(`sops age entry ${i} needs "recipient" and "enc"`);
    }
    return { recipient: e.recipient, enc: e.enc };
  });
  const other: Record<string, unknown> = {};
  for (const t of KEY_TYPES) {
    if (t !== "age" && Array.isArray(raw[t]) && (raw[t] as unknown[]).length > 0) other[t] = raw[t];
  }
  return { age, other };
}

/** Reads the metadata object (already converted to plain data by the store). */
export function parseMetadata(raw: unknown): SopsMetadata {
  if (!isRecord(raw)) throw new SopsMetadataError("the sops metadata is not a mapping");
  const lastModified = raw.lastmodified;
  const mac = raw.mac;
  if (typeof lastModified !== "string" || lastModified === "")
    throw new SopsMetadataError("sops.lastmodified is missing");
  if (typeof mac !== "string" || mac === "") throw new SopsMetadataError("sops.mac is missing");
  let keyGroups: KeyGroup[];
  const usesKeyGroups = Array.isArray(raw.key_groups) && raw.key_groups.length > 0;
  if (usesKeyGroups) {
    keyGroups = (raw.key_groups as unknown[]).map((g) => {
      if (!isRecord(g)) throw new SopsMetadataError("sops.key_groups entries must be mappings");
      return parseGroup(g);
    });
  } else {
    keyGroups = [parseGroup(raw)];
  }
  const selection: Record<string, string> = {};
  for (const [yamlName, field] of SELECTOR_FIELDS) {
    const v = raw[yamlName];
    if (typeof v === "string" && v !== "") selection[field] = v;
  }
  if (Object.keys(selection).length > 1)
    throw new SopsMetadataError("the sops metadata sets more than one of the (un)encrypted regex/suffix options");
  if (Object.keys(selection).length === 0 && !raw.unencrypted_comment_regex && !raw.encrypted_comment_regex) {
    // sops's `ToInternal`: a file without any selector is read as `unencrypted_suffix: _unencrypted`.
    selection.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  }
  const threshold = raw.shamir_threshold;
  return {
    keyGroups,
    usesKeyGroups,
    ...(typeof threshold === "number" && threshold > 0
      ? { shamirThreshold: threshold }
      : typeof threshold === "string" && /^\d+$/.test(threshold) && Number(threshold) > 0
        ? { shamirThreshold: Number(threshold) }
        : {}),
    lastModified,
    mac,
    version: typeof raw.version === "string" ? raw.version : String(raw.version ?? ""),
    ...selection,
    ...(raw.mac_only_encrypted === true || raw.mac_only_encrypted === "true" ? { macOnlyEncrypted: true } : {}),
  };
}

function groupToPlain(g: KeyGroup): Record<string, unknown> {
  const out: Record<string, unknown> = { ...g.other };
  if (g.age.length > 0) out.age = g.age.map((s) => ({ enc: s.enc, recipient: s.recipient }));
  return sortKeys(out);
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The plain, key-ordered object a store writes under `sops`. */
export function metadataToPlain(m: SopsMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.usesKeyGroups || m.keyGroups.length > 1) {
    out.key_groups = m.keyGroups.map(groupToPlain);
    if (m.shamirThreshold !== undefined) out.shamir_threshold = m.shamirThreshold;
  } else {
    Object.assign(out, groupToPlain(m.keyGroups[0] ?? { age: [], other: {} }));
  }
  for (const [yamlName, field] of SELECTOR_FIELDS) {
    const v = m[field];
    if (v !== undefined) out[yamlName] = v;
  }
  out.lastmodified = m.lastModified;
  out.mac = m.mac;
  if (m.macOnlyEncrypted) out.mac_only_encrypted = true;
  out.version = m.version;
  return sortKeys(out);
}

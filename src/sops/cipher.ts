import { createCipheriv, createDecipheriv } from "node:crypto";

/** The value types sops records in `type:`; `comment` marks an encrypted YAML comment. */
export type SopsValueType = "str" | "int" | "float" | "bool" | "bytes" | "time" | "comment";

const VALUE_TYPES: ReadonlySet<string> = new Set(["str", "int", "float", "bool", "bytes", "time", "comment"]);

// sops's own pattern is `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`; ours is stricter (base64 alphabet)
// so a stray comma cannot shift the fields.
const ENC_PATTERN =
  /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:([a-z]+)\]$/;

/** sops uses a 32-byte GCM nonce (`cipher.NewGCMWithNonceSize(…, 32)`), not the usual 12. */
export const SOPS_IV_BYTES = 32;
const TAG_BYTES = 16;

export interface EncryptedValue {
  readonly data: Uint8Array;
  readonly iv: Uint8Array;
  readonly tag: Uint8Array;
  readonly type: SopsValueType;
}

export function looksEncrypted(text: string): boolean {
  return text.startsWith("ENC[AES256_GCM,");
}

/** Decodes base64 and rejects any non-canonical spelling, so a flipped padding bit is a tamper, not a no-op. */
function strictBase64(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? new Uint8Array(bytes) : undefined;
}

export function parseEncryptedValue(text: string): EncryptedValue | undefined {
  const m = ENC_PATTERN.exec(text);
  if (!m || !VALUE_TYPES.has(m[4]!)) return undefined;
  const data = strictBase64(m[1]!);
  const iv = strictBase64(m[2]!);
  const tag = strictBase64(m[3]!);
  if (!data || !iv || !tag || iv.length !== SOPS_IV_BYTES || tag.length !== TAG_BYTES) return undefined;
  return { data, iv, tag, type: m[4] as SopsValueType };
}

export function formatEncryptedValue(v: EncryptedValue): string {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
  return `ENC[AES256_GCM,data:${b64(v.data)},iv:${b64(v.iv)},tag:${b64(v.tag)},type:${v.type}]`;
}

/** AES-256-GCM decryption; returns undefined when the tag does not verify (wrong key, AAD or tampered bytes). */
export function openValue(v: EncryptedValue, key: Uint8Array, aad: string): Uint8Array | undefined {
  try {
    const d = createDecipheriv("aes-256-gcm", key, v.iv, { authTagLength: TAG_BYTES });
    d.setAAD(Buffer.from(aad, "utf8"));
    d.setAuthTag(v.tag);
    return new Uint8Array(Buffer.concat([d.update(v.data), d.final()]));
  } catch {
    return undefined;
  }
}

export function sealValue(
  plaintext: Uint8Array,
  key: Uint8Array,
  iv: Uint8Array,
  aad: string,
  type: SopsValueType,
): EncryptedValue {
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  c.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([c.update(plaintext), c.final()]);
  return { data: new Uint8Array(data), iv, tag: new Uint8Array(c.getAuthTag()), type };
}

import { isDeepStrictEqual } from "node:util";
import type { ConfigDocuments } from "./config-documents.js";
import type { DiffEntry } from "./types.js";

/**
 * A semantic diff of two configs, document by document, leaf by leaf. Lists compare as a whole (Talos replaces
 * most lists on merge, and an index-wise diff of reordered lists reads badly). Secret values never appear: a key
 * whose name says it holds a secret, or a value that looks like a private key or token, is shown as `(sensitive)`.
 */
export function diffConfigs(before: ConfigDocuments, after: ConfigDocuments): DiffEntry[] {
  const out: DiffEntry[] = [];
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const document of keys) {
    const a = before.get(document);
    const b = after.get(document);
    if (a === undefined) out.push({ document, path: "", op: "add", after: redact("", b) });
    else if (b === undefined) out.push({ document, path: "", op: "remove", before: redact("", a) });
    else walk(document, [], a, b, out);
  }
  return out;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function walk(document: string, path: string[], a: unknown, b: unknown, out: DiffEntry[]): void {
  if (isDeepStrictEqual(a, b)) return;
  if (isMap(a) && isMap(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      walk(document, [...path, k], a[k], b[k], out);
    return;
  }
  const p = path.join(".");
  const key = path.at(-1) ?? "";
  if (a === undefined) out.push({ document, path: p, op: "add", after: redact(key, b) });
  else if (b === undefined) out.push({ document, path: p, op: "remove", before: redact(key, a) });
  else out.push({ document, path: p, op: "change", before: redact(key, a), after: redact(key, b) });
}

/** Key names whose values are secrets in Talos configs (tokens, private keys, encryption secrets, passwords). */
const SENSITIVE_KEY = /(^key$|token|secret|password|passphrase|privatekey|private_key|^auth$|identitytoken)/i;
const SENSITIVE_VALUE = /-----BEGIN [A-Z ]*PRIVATE KEY-----|PRIVATE KEY|^[a-z0-9]{6}\.[a-z0-9]{16}$/;
const SENSITIVE = "(sensitive)";

export function redact(key: string, v: unknown): unknown {
  if (SENSITIVE_KEY.test(key)) return SENSITIVE;
  if (typeof v === "string") return SENSITIVE_VALUE.test(v) || looksLikeBase64Key(v) ? SENSITIVE : v;
  if (Array.isArray(v)) return v.map((x) => redact("", x));
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(k, x)]));
  return v;
}

/** Base64 of a PEM private key (how Talos embeds keys: `key: LS0tLS1CRUdJTi…`). */
function looksLikeBase64Key(v: string): boolean {
  if (v.length < 40 || !/^[A-Za-z0-9+/=]+$/.test(v)) return false;
  return /PRIVATE KEY/.test(Buffer.from(v, "base64").toString("latin1"));
}

/** The changed paths as `document:path` (what reboot classification and guards look at). */
export function changedPaths(diff: readonly DiffEntry[]): string[] {
  return diff.map((d) => (d.path ? `${d.document}:${d.path}` : d.document));
}

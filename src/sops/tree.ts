import { createHash } from "node:crypto";
import { isMap, isPair, isScalar, isSeq, type Document, type Scalar } from "yaml";
import type { SopsValueType } from "./cipher.js";
import type { EncryptionSelection } from "./metadata.js";
import type { SopsFormat } from "./stores.js";

/** A leaf value and its key path (list indices are not part of a sops path). */
export interface Leaf {
  readonly scalar: Scalar;
  readonly path: readonly string[];
}

/** A place that holds comment text, with the key path of the mapping or list that contains it. */
export interface CommentSite {
  readonly path: readonly string[];
  get(): string | null | undefined;
  set(text: string | undefined): void;
}

export class SopsTreeError extends Error {}

function keyName(key: unknown, path: readonly string[]): string {
  if (
    isScalar(key) &&
    (typeof key.value === "string" ||
      typeof key.value === "number" ||
      typeof key.value === "bigint" ||
      typeof key.value === "boolean")
  ) {
    if (typeof key.value !== "string") {
      throw new SopsTreeError(
        `${path.length ? path.join(".") + ": " : ""}non-string key ${String(key.value)} (sops: "Tree contains a non-string key"); quote it`,
      );
    }
    return key.value;
  }
  throw new SopsTreeError(`${path.length ? path.join(".") + ": " : ""}complex mapping keys are not supported`);
}

function siteOf(
  node: { commentBefore?: string | null; comment?: string | null },
  which: "commentBefore" | "comment",
  path: readonly string[],
): CommentSite {
  return {
    path,
    get: () => node[which],
    set: (text) => {
      node[which] = text;
    },
  };
}

/** Every leaf and comment of a document in document order (sops walks depth-first in order). */
export function walkDocument(doc: Document): { leaves: Leaf[]; comments: CommentSite[] } {
  const leaves: Leaf[] = [];
  const comments: CommentSite[] = [siteOf(doc, "commentBefore", []), siteOf(doc, "comment", [])];
  const visit = (node: unknown, path: readonly string[], container: readonly string[]): void => {
    if (isMap(node)) {
      comments.push(siteOf(node, "commentBefore", path), siteOf(node, "comment", path));
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const name = keyName(pair.key, path);
        if (isScalar(pair.key))
          comments.push(siteOf(pair.key, "commentBefore", path), siteOf(pair.key, "comment", path));
        visit(pair.value, [...path, name], path);
      }
    } else if (isSeq(node)) {
      comments.push(siteOf(node, "commentBefore", path), siteOf(node, "comment", path));
      for (const item of node.items) visit(item, path, path);
    } else if (isScalar(node)) {
      comments.push(siteOf(node, "commentBefore", container), siteOf(node, "comment", container));
      leaves.push({ scalar: node, path });
    } else if (node !== null && node !== undefined) {
      throw new SopsTreeError(`${path.join(".")}: unsupported YAML node (aliases are not supported in sops files)`);
    }
  };
  visit(doc.contents, [], []);
  return { leaves, comments };
}

/** Go RE2 inline flags like `(?i)` at the start become JavaScript flags. */
export function goRegExp(pattern: string): RegExp {
  const m = /^\(\?([imsU]+)\)/.exec(pattern);
  if (!m) return new RegExp(pattern);
  return new RegExp(pattern.slice(m[0].length), [...new Set(m[1]!.replace("U", ""))].join(""));
}

/** sops's `Tree.shouldBeEncrypted`: the selectors are tried on each key of the path. */
export function shouldEncrypt(path: readonly string[], sel: EncryptionSelection): boolean {
  if (sel.unencryptedSuffix && path.some((k) => k.endsWith(sel.unencryptedSuffix!))) return false;
  if (sel.encryptedSuffix) return path.some((k) => k.endsWith(sel.encryptedSuffix!));
  if (sel.unencryptedRegex) {
    const re = goRegExp(sel.unencryptedRegex);
    if (path.some((k) => re.test(k))) return false;
  }
  if (sel.encryptedRegex) {
    const re = goRegExp(sel.encryptedRegex);
    return path.some((k) => re.test(k));
  }
  return true;
}

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatGoFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : "-Inf";
  const s = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = "", expText] = m;
  const digits = int! + frac;
  const point = int!.length + Number(expText);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The sops type and plaintext bytes of a leaf; undefined for leaves sops leaves alone (null, empty string). */
export function leafPlaintext(value: unknown, format: SopsFormat): { type: SopsValueType; text: string } | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  if (typeof value === "string") return { type: "str", text: value };
  if (typeof value === "boolean") return { type: "bool", text: value ? "True" : "False" };
  // JSON numbers are float64 in sops's JSON store; YAML distinguishes ints and floats like yaml.v3.
  if (typeof value === "bigint")
    return format === "json"
      ? { type: "float", text: formatGoFloat(Number(value)) }
      : { type: "int", text: value.toString() };
  if (typeof value === "number") return { type: "float", text: formatGoFloat(value) };
  if (value instanceof Uint8Array) return { type: "bytes", text: Buffer.from(value).toString("latin1") };
  if (value instanceof Date) return { type: "time", text: value.toISOString() };
  throw new SopsTreeError(`unsupported value ${String(value)}`);
}

/** The YAML value a decrypted plaintext becomes; throws SopsTreeError when the text does not fit the type. */
export function typedValue(type: SopsValueType, text: string): unknown {
  const valid =
    type === "int"
      ? /^[-+]?\d+$/.test(text)
      : type === "float"
        ? /^(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]Inf|NaN)$/.test(text)
        : type === "bool"
          ? /^(?:True|False|true|false)$/.test(text)
          : true;
  if (!valid) throw new SopsTreeError(`decrypted value is not a valid ${type}`);
  switch (type) {
    case "int":
      // bigint keeps the int/float distinction when the tree is re-encrypted.
      return BigInt(text);
    case "float":
      return text === "+Inf" ? Infinity : text === "-Inf" ? -Infinity : Number(text);
    case "bool":
      return text === "True" || text === "true";
    default:
      return text;
  }
}

/** sops's MAC accumulator: SHA-512 over leaf plaintexts in order, hex upper-case. */
export class MacHasher {
  private readonly hash = createHash("sha512");
  constructor(macOnlyEncrypted: boolean) {
    // sops's `MACOnlyEncryptedInitialization`, so the two MAC modes can never collide.
    if (macOnlyEncrypted)
      this.hash.update(Buffer.from("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69", "hex"));
  }
  add(text: string | Uint8Array): void {
    this.hash.update(typeof text === "string" ? Buffer.from(text, "utf8") : text);
  }
  digest(): string {
    return this.hash.digest("hex").toUpperCase();
  }
}

/**
 * A small YAML emitter that reproduces, byte for byte, what go-yaml v4 (`go.yaml.in/yaml/v4`, `yaml.Marshal`, i.e.
 * v3 defaults: 4-space indent, no line wrapping) writes for the value shapes a schematic can hold: block mappings with
 * ordered string keys, block sequences, strings and pre-rendered scalars (integers, floats, booleans, null).
 *
 * Why hand-written: the Image Factory schematic ID is the SHA-256 of these exact bytes, and no JavaScript YAML
 * library quotes like go-yaml. go-yaml decides a string's style in two steps that generic dumpers do not share:
 *   1. the representer asks "would this plain text resolve to another type?" using go-yaml's own resolver (which
 *      still knows YAML 1.1 octals like `017`, timestamps, `0b…`), and quotes YAML 1.1 booleans (`yes`, `on`) and
 *      base-60 numbers (`1:20`) with SINGLE quotes but other non-strings (`1`, `true`, `null`) with DOUBLE quotes;
 *   2. libyaml's emitter analysis (indicator characters, leading/trailing spaces, breaks, tabs, printable ranges)
 *      then downgrades plain → single → double and literal → double.
 * Multi-line strings become literal blocks (`|`, `|-`, `|+`, `|4-`) indented to go-yaml's "round up to the next
 * multiple of 4" rule. Every rule here is pinned by the vectors in the tests.
 */

/** A node of the document to emit. `raw` is an already-rendered plain scalar (numbers, booleans, null). */
export type YamlNode =
  | { readonly kind: "str"; readonly value: string }
  | { readonly kind: "raw"; readonly text: string }
  | { readonly kind: "seq"; readonly items: readonly YamlNode[] }
  | { readonly kind: "map"; readonly entries: readonly (readonly [string, YamlNode])[] };

export const str = (value: string): YamlNode => ({ kind: "str", value });
export const raw = (text: string): YamlNode => ({ kind: "raw", text });
export const seq = (items: readonly YamlNode[]): YamlNode => ({ kind: "seq", items });
export const map = (entries: readonly (readonly [string, YamlNode])[]): YamlNode => ({ kind: "map", entries });

const BEST_INDENT = 4;
/** go-yaml (libyaml) refuses a simple `key: value` form for keys longer than this. */
const SIMPLE_KEY_MAX = 128;

/** Thrown for inputs go-yaml would render in a form this emitter deliberately does not reproduce. */
export class UnsupportedYamlError extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// Resolution: what a plain scalar would mean to go-yaml's resolver.

const RESOLVE_MAP = new Set([
  "true",
  "True",
  "TRUE",
  "false",
  "False",
  "FALSE",
  "",
  "~",
  "null",
  "Null",
  "NULL",
  ".nan",
  ".NaN",
  ".NAN",
  ".inf",
  ".Inf",
  ".INF",
  "+.inf",
  "+.Inf",
  "+.INF",
  "-.inf",
  "-.Inf",
  "-.INF",
  "-0",
  "-0.0",
  "<<",
]);
const OLD_BOOLS = new Set([
  "y",
  "Y",
  "yes",
  "Yes",
  "YES",
  "on",
  "On",
  "ON",
  "n",
  "N",
  "no",
  "No",
  "NO",
  "off",
  "Off",
  "OFF",
]);
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

function isBase60Float(s: string): boolean {
  if (s === "" || !/^[-+0-9]/.test(s) || !s.includes(":")) return false;
  return BASE60_FLOAT.test(s);
}

/** Go's strconv.ParseInt/ParseUint with base 0 (prefixes 0x, 0o, 0b, leading-0 octal; underscores only after a prefix). */
function parsesAsGoInt(s: string): boolean {
  const body = s.replace(/^[-+]/, "");
  if (body === "") return false;
  let digits: string;
  let re: RegExp;
  if (/^0[xX]/.test(body)) [digits, re] = [body.slice(2), /^[0-9a-fA-F]+$/];
  else if (/^0[bB]/.test(body)) [digits, re] = [body.slice(2), /^[01]+$/];
  else if (/^0[oO]/.test(body)) [digits, re] = [body.slice(2), /^[0-7]+$/];
  else if (body.length > 1 && body.startsWith("0")) [digits, re] = [body.slice(1), /^[0-7]+$/];
  else [digits, re] = [body, /^[0-9]+$/];
  if (!re.test(digits)) return false;
  // Range: int64 for signed forms, uint64 otherwise. Overflow makes it a string.
  const radix = /^0[xX]/.test(body)
    ? 16n
    : /^0[bB]/.test(body)
      ? 2n
      : /^0[oO]/.test(body) || (body.length > 1 && body.startsWith("0"))
        ? 8n
        : 10n;
  let v = 0n;
  for (const ch of digits) v = v * radix + BigInt(parseInt(ch, Number(radix)));
  if (s.startsWith("-")) return v <= 2n ** 63n;
  if (s.startsWith("+")) return v < 2n ** 63n;
  return v <= 2n ** 64n - 1n;
}

/** Go's strconv.ParseFloat accepts what YAML_STYLE_FLOAT matches (range overflow to ±Inf is an error there). */
function parsesAsGoFloat(s: string): boolean {
  return Number.isFinite(Number(s));
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** go-yaml's timestamp check: `YYYY-` then one of Go's layouts "2006-1-2", with `T`/`t`/space time and optional zone. */
function isGoTimestamp(s: string): boolean {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?))?$/.exec(
      s,
    );
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]!)) return false;
  const hh = m[5] ?? m[10];
  const mm = m[6] ?? m[11];
  const ss = m[7] ?? m[12];
  if (hh !== undefined && (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59)) return false;
  const zone = m[9];
  if (zone && zone !== "Z" && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) return false;
  return true;
}

/** True when go-yaml's resolver would give the plain scalar `s` a non-string tag. */
export function resolvesToNonString(s: string): boolean {
  const first = s === "" ? "" : s[0]!;
  const hint =
    s === ""
      ? "N"
      : /[-+]/.test(first)
        ? "S"
        : /[0-9]/.test(first)
          ? "D"
          : /[yYnNtTfFoO~<]/.test(first)
            ? "M"
            : first === "."
              ? "."
              : "";
  if (hint === "") return false;
  if (RESOLVE_MAP.has(s)) return true;
  // Go's ParseFloat: no underscores without a base prefix, so only `.5`, `.5e3`-like text is a float here.
  if (hint === ".") return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) && parsesAsGoFloat(s);
  if (hint === "D" || hint === "S") {
    if (isGoTimestamp(s)) return true;
    const plain = s.replace(/_/g, "");
    if (parsesAsGoInt(plain)) return true;
    if (YAML_STYLE_FLOAT.test(plain) && parsesAsGoFloat(plain)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Emitter analysis (libyaml `analyze_scalar`), over code points.

const isBreak = (c: string): boolean => c === "\n" || c === "\r" || c === "\u0085" || c === "\u2028" || c === "\u2029";
const isBlank = (c: string | undefined): boolean => c === " " || c === "\t";

function isPrintable(c: string): boolean {
  const cp = c.codePointAt(0)!;
  if (cp === 0x0a || (cp >= 0x20 && cp <= 0x7e)) return true;
  if (cp >= 0xa0 && cp <= 0xd7ff) return true;
  if (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) return true;
  return false; // C1 controls, surrogates, U+FEFF, U+FFFE/F and — as in go-yaml — everything above U+FFFF
}

interface Analysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function analyze(value: string): Analysis {
  if (value === "")
    return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  const chars = [...value];
  let blockIndicators = value.startsWith("---") || value.startsWith("...");
  let lineBreaks = false;
  let special = false;
  let tabs = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  chars.forEach((c, i) => {
    const last = i === chars.length - 1;
    const followedByWhitespace = last || isBlank(chars[i + 1]);
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(c)) blockIndicators = true;
      else if ((c === "?" || c === ":") && followedByWhitespace) blockIndicators = true;
      else if (c === "-" && followedByWhitespace) blockIndicators = true;
    } else if (c === ":" && followedByWhitespace) blockIndicators = true;
    else if (c === "#" && precededByWhitespace) blockIndicators = true;

    if (c === "\t") tabs = true;
    else if (!isPrintable(c)) special = true;
    if (c === " ") {
      if (i === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(c) || isBreak(c) || c === "\0";
  });
  const a: Analysis = { multiline: lineBreaks, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.blockPlainAllowed = false;
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) a.blockPlainAllowed = a.singleQuotedAllowed = false;
  if (spaceBreak || tabs || special) a.blockPlainAllowed = a.singleQuotedAllowed = false;
  if (spaceBreak || special) a.blockAllowed = false;
  if (lineBreaks) a.blockPlainAllowed = false;
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}

// ---------------------------------------------------------------------------------------------------------------
// Style selection (representer `stringv` + emitter `select_scalar_style`).

export type ScalarStyle = "plain" | "single" | "double" | "literal";

const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

export function scalarStyle(value: string, simpleKey = false): ScalarStyle {
  let style: ScalarStyle;
  if (value.includes("\n")) {
    // go-yaml: literal only for strings of ≥ 2 bytes with some non-space character.
    style = Buffer.byteLength(value) >= 2 && !GO_SPACE.test(value) ? "literal" : "double";
  } else if (!resolvesToNonString(value) && !isBase60Float(value) && !OLD_BOOLS.has(value)) {
    style = "plain";
  } else if (OLD_BOOLS.has(value) || isBase60Float(value) || value === "<<") {
    // go-yaml v4 (unlike v3, which double-quoted them) single-quotes YAML 1.1 booleans, base-60 numbers and `<<`.
    style = "single";
  } else {
    style = "double";
  }
  const a = analyze(value);
  if (simpleKey && a.multiline) style = "double";
  if (style === "plain" && !a.blockPlainAllowed) style = "single";
  if (style === "plain" && value === "" && simpleKey) style = "single";
  if (style === "single" && !a.singleQuotedAllowed) style = "double";
  if (style === "literal" && (!a.blockAllowed || simpleKey)) style = "double";
  return style;
}

const ESCAPES: Record<number, string> = {
  0x00: "0",
  0x07: "a",
  0x08: "b",
  0x09: "t",
  0x0a: "n",
  0x0b: "v",
  0x0c: "f",
  0x0d: "r",
  0x1b: "e",
  0x22: '"',
  0x5c: "\\",
  0x85: "N",
  0xa0: "_",
  0x2028: "L",
  0x2029: "P",
};

function doubleQuoted(value: string): string {
  let out = '"';
  for (const c of value) {
    const cp = c.codePointAt(0)!;
    if (!isPrintable(c) || cp === 0xfeff || isBreak(c) || c === '"' || c === "\\") {
      const named = ESCAPES[cp];
      if (named !== undefined) out += `\\${named}`;
      else if (cp <= 0xff) out += `\\x${cp.toString(16).toUpperCase().padStart(2, "0")}`;
      else if (cp <= 0xffff) out += `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).toUpperCase().padStart(8, "0")}`;
    } else {
      out += c;
    }
  }
  return `${out}"`;
}

/** Block scalar header hints: indentation indicator for a leading space, chomping from the trailing breaks. */
function literalHeader(value: string): string {
  let h = "|";
  if (value.startsWith(" ")) h += String(BEST_INDENT);
  const chars = [...value];
  const last = chars[chars.length - 1]!;
  if (!isBreak(last)) h += "-";
  else if (chars.length === 1 || isBreak(chars[chars.length - 2]!)) h += "+";
  return h;
}

/** go-yaml writes invalid UTF-8 as `!!binary`; a lone surrogate is the JavaScript equivalent. Not reproduced. */
function assertValidUtf16(value: string): void {
  if (/\p{Surrogate}/u.test(value))
    throw new UnsupportedYamlError("strings with unpaired UTF-16 surrogates (invalid UTF-8) are not supported");
}

function literalBody(value: string, indent: number): string[] {
  assertValidUtf16(value);
  if ([...value].some((c) => c === "\u2028" || c === "\u2029")) {
    throw new UnsupportedYamlError("multi-line strings containing U+2028/U+2029 are not supported");
  }
  const lines = value.split("\n");
  // A trailing "\n" leaves an empty last element that is the terminator of the previous line, not a line.
  if (value.endsWith("\n")) lines.pop();
  return lines.map((l) => (l === "" ? "" : " ".repeat(indent) + l));
}

/** Renders a single-line scalar (plain, single- or double-quoted) for the given context. */
export function inlineScalar(value: string, simpleKey = false): string {
  assertValidUtf16(value);
  const style = scalarStyle(value, simpleKey);
  switch (style) {
    case "plain":
      return value;
    case "single":
      return `'${value.replaceAll("'", "''")}'`;
    case "double":
      return doubleQuoted(value);
    case "literal":
      throw new UnsupportedYamlError("internal: literal style requested inline");
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Block structure.

/** go-yaml's indentation for the value of a mapping whose keys sit at column `indent`: the next multiple of 4. */
const childIndent = (indent: number): number => BEST_INDENT * Math.floor((indent + BEST_INDENT) / BEST_INDENT);

/**
 * libyaml writes a key in the simple `key: value` form unless it spans lines or is longer than 128 bytes; then it
 * uses the complex form `? key` / `: value`.
 */
function needsComplexKey(key: string): boolean {
  return Buffer.byteLength(key) > SIMPLE_KEY_MAX || [...key].some(isBreak);
}

/**
 * Emits `node` as the value following `prefix` (e.g. `key:` or `-`), where `valueIndent` is the column block
 * content of this value starts at and `seqItem` says whether `prefix` is a sequence dash (mappings and sequences
 * then continue on the same line).
 */
function emitValue(lines: string[], prefix: string, node: YamlNode, valueIndent: number, seqItem: boolean): void {
  switch (node.kind) {
    case "raw":
      lines.push(`${prefix} ${node.text}`);
      return;
    case "str": {
      if (scalarStyle(node.value) === "literal") {
        lines.push(`${prefix} ${literalHeader(node.value)}`);
        lines.push(...literalBody(node.value, valueIndent));
      } else {
        lines.push(`${prefix} ${inlineScalar(node.value)}`);
      }
      return;
    }
    case "map":
      if (node.entries.length === 0) {
        lines.push(`${prefix} {}`);
        return;
      }
      if (seqItem) emitMapping(lines, node.entries, valueIndent, `${prefix} `);
      else {
        lines.push(prefix);
        emitMapping(lines, node.entries, valueIndent, "");
      }
      return;
    case "seq":
      if (node.items.length === 0) {
        lines.push(`${prefix} []`);
        return;
      }
      if (seqItem) emitSequence(lines, node.items, valueIndent, `${prefix} `);
      else {
        lines.push(prefix);
        emitSequence(lines, node.items, valueIndent, "");
      }
      return;
  }
}

/** `inlinePrefix`, when set, is the text already on the line (a `- `) the first entry continues. */
function emitMapping(
  lines: string[],
  entries: readonly (readonly [string, YamlNode])[],
  indent: number,
  inlinePrefix: string,
): void {
  entries.forEach(([key, value], i) => {
    const lead = i === 0 && inlinePrefix !== "" ? inlinePrefix : " ".repeat(indent);
    if (!needsComplexKey(key)) {
      emitValue(lines, `${lead}${inlineScalar(key, true)}:`, value, childIndent(indent), false);
      return;
    }
    // Complex key: `? <key>` then `: <value>`; a block value continues on the `:` line, padded to its indentation.
    emitValue(lines, `${lead}?`, { kind: "str", value: key }, childIndent(indent), false);
    const colon = `${" ".repeat(indent)}:`;
    if ((value.kind === "map" && value.entries.length > 0) || (value.kind === "seq" && value.items.length > 0)) {
      emitValue(lines, colon.padEnd(childIndent(indent) - 1), value, childIndent(indent), true);
    } else {
      emitValue(lines, colon, value, childIndent(indent), false);
    }
  });
}

function emitSequence(lines: string[], items: readonly YamlNode[], indent: number, inlinePrefix: string): void {
  items.forEach((item, i) => {
    const lead = i === 0 && inlinePrefix !== "" ? inlinePrefix : " ".repeat(indent);
    // Content inside a sequence item sits just after the "- " indicator.
    emitValue(lines, `${lead}-`, item, indent + 2, true);
  });
}

/** The document text for a root mapping, with the trailing newline go-yaml writes. */
export function emitDocument(root: readonly (readonly [string, YamlNode])[]): string {
  if (root.length === 0) return "{}\n";
  const lines: string[] = [];
  emitMapping(lines, root, 0, "");
  return `${lines.join("\n")}\n`;
}

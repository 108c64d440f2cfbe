import { isYamlMap, RawScalar, type YamlMap, type YamlNode, type YamlScalar } from "./node.js";

/*
 * A YAML emitter that writes byte-for-byte what Talos writes (go.yaml.in/yaml/v4 with 4-space indentation, comments
 * disabled). Hand-written because generic YAML libraries differ in exactly the details the goldens pin down:
 * eemeli/yaml indents sequences and sequence-item mappings differently, quotes with different rules (e.g. it leaves
 * `"yes"`/`"on"` plain, which go-yaml quotes as YAML 1.1 booleans) and folds long lines. The rules below are
 * go-yaml's observable behaviour, verified against Talos's stability goldens (conformance/machineconfig-goldens).
 *
 * Indentation (go-yaml's "regular" indents, best_indent = 4):
 *  - a nested block mapping or sequence under a key whose column is `c` starts at the next multiple of 4 above `c`
 *    (so a sequence-item mapping at column d+2 nests at 4·⌊(d+6)/4⌋);
 *  - a node that is a sequence item starts right after its `- ` (column d+2);
 *  - literal block content follows the same two rules.
 */

const BEST_INDENT = 4;
const nextIndent = (column: number): number => BEST_INDENT * Math.floor((column + BEST_INDENT) / BEST_INDENT);

/** Encodes documents as Talos does: each document a block mapping, joined by `---` lines. */
export function encodeDocuments(docs: readonly YamlMap[]): string {
  return docs.map((d) => encodeDocument(d)).join("---\n");
}

export function encodeDocument(doc: YamlMap): string {
  if (doc.size === 0) return "{}\n";
  const out: string[] = [];
  writeMapping(out, doc, 0, false);
  return out.join("");
}

function isEmptyCollection(v: YamlNode): boolean {
  return (isYamlMap(v) && v.size === 0) || (Array.isArray(v) && v.length === 0);
}

/** Writes a non-empty mapping whose keys sit at `column`. `inline`: the first key continues the current line. */
function writeMapping(out: string[], map: YamlMap, column: number, inline: boolean): void {
  let first = true;
  for (const [key, value] of map) {
    if (!(first && inline)) out.push(" ".repeat(column));
    first = false;
    if (isSimpleKey(key)) {
      out.push(formatScalar(key), ":");
    } else {
      // libyaml writes multi-line or very long keys as explicit `? key` / `: value` pairs.
      out.push("?");
      if (literalAllowed(key)) writeLiteral(out, key, nextIndent(column));
      else out.push(" ", formatScalar(key), "\n");
      out.push(" ".repeat(column), ":");
      const child = nextIndent(column);
      if (isYamlMap(value) && value.size > 0) {
        out.push(" ".repeat(child - column - 1));
        writeMapping(out, value, child, true);
        continue;
      }
      if (Array.isArray(value) && value.length > 0) {
        out.push(" ".repeat(child - column - 1));
        writeSequence(out, value, child, true);
        continue;
      }
    }
    writeValueAfterKey(out, value, column);
  }
}

const isSimpleKey = (key: string): boolean => key.length <= 128 && !/[\n\r\x85\u2028\u2029]/.test(key);

function writeValueAfterKey(out: string[], value: YamlNode, keyColumn: number): void {
  if (isEmptyCollection(value)) {
    out.push(isYamlMap(value) ? " {}\n" : " []\n");
  } else if (isYamlMap(value)) {
    out.push("\n");
    writeMapping(out, value, nextIndent(keyColumn), false);
  } else if (Array.isArray(value)) {
    out.push("\n");
    writeSequence(out, value, nextIndent(keyColumn), false);
  } else if (typeof value === "string" && literalAllowed(value)) {
    writeLiteral(out, value, nextIndent(keyColumn));
  } else {
    out.push(" ", formatScalar(value as YamlScalar), "\n");
  }
}

/** Writes a non-empty sequence whose `-` indicators sit at `column`. */
function writeSequence(out: string[], items: readonly YamlNode[], column: number, inline: boolean): void {
  let first = true;
  for (const item of items) {
    if (!(first && inline)) out.push(" ".repeat(column));
    first = false;
    out.push("-");
    if (isEmptyCollection(item)) {
      out.push(isYamlMap(item) ? " {}\n" : " []\n");
    } else if (isYamlMap(item)) {
      out.push(" ");
      writeMapping(out, item, column + 2, true);
    } else if (Array.isArray(item)) {
      out.push(" ");
      writeSequence(out, item, column + 2, true);
    } else if (typeof item === "string" && literalAllowed(item)) {
      writeLiteral(out, item, column + 2);
    } else {
      out.push(" ", formatScalar(item as YamlScalar), "\n");
    }
  }
}

/**
 * Does `text` (from `encodeDocuments`) contain a literal block with an indentation indicator (` |4`)? go-yaml writes
 * the indicator relative to the wrong column inside sequences (`- |4` with the content 2 columns in), text its own
 * reader rejects, and so does talform's; this emitter copies that. Every other encoding parses back to the documents
 * it was given (roundtrip.property.test.ts), so a caller that checked the documents only needs to parse the text
 * when this is true. May be true for a plain scalar ending in ` |4` too (a needless parse, never a missed one).
 */
export function hasIndentationIndicator(text: string): boolean {
  return / \|[1-9][-+]?$/m.test(text);
}

/**
 * `|` keeps exactly one trailing newline, `|-` none, `|+` several (YAML chomping indicators). Text starting with a
 * space needs an indentation indicator; like libyaml, go-yaml always writes its best indent (4) there.
 */
function writeLiteral(out: string[], text: string, column: number): void {
  const trailing = /\n*$/.exec(text)![0].length;
  out.push(
    " |",
    text.startsWith(" ") ? String(BEST_INDENT) : "",
    trailing === 0 ? "-" : trailing === 1 ? "" : "+",
    "\n",
  );
  const body = trailing === 0 ? text : text.slice(0, text.length - 1);
  for (const line of body.split("\n")) {
    out.push(line === "" ? "\n" : `${" ".repeat(column)}${line}\n`);
  }
}

// --- scalar analysis (libyaml's yaml_emitter_analyze_scalar, block context) ---

// Printable per YAML 1.1 as libyaml checks it; go-yaml emits unicode unescaped.
const NON_PRINTABLE = /[^\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd]|\ufeff/u;

interface ScalarAnalysis {
  readonly plain: boolean;
  readonly singleQuoted: boolean;
  readonly block: boolean;
}

function analyze(s: string): ScalarAnalysis {
  if (s === "") return { plain: false, singleQuoted: true, block: false };
  const special = NON_PRINTABLE.test(s);
  let indicators = s.startsWith("---") || s.startsWith("...");
  const lineBreaks = s.includes("\n");
  const blankAt = (i: number): boolean => i >= s.length || s[i] === " " || s[i] === "\t" || s[i] === "\n";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(c)) indicators = true;
      else if ((c === "?" || c === ":" || c === "-") && blankAt(1)) indicators = true;
    } else if (c === ":" && blankAt(i + 1)) {
      indicators = true;
    } else if (c === "#" && (s[i - 1] === " " || s[i - 1] === "\t" || s[i - 1] === "\n")) {
      indicators = true;
    }
  }
  const leadingSpace = s[0] === " ";
  const leadingBreak = s[0] === "\n";
  const trailingSpace = s.endsWith(" ");
  const trailingBreak = s.endsWith("\n");
  const spaceBreak = / \n/.test(s);
  const breakSpace = /\n /.test(s);
  const tabs = s.includes("\t");
  let plain = !(
    indicators ||
    lineBreaks ||
    leadingSpace ||
    leadingBreak ||
    trailingSpace ||
    trailingBreak ||
    special ||
    tabs
  );
  if (breakSpace) plain = false;
  const singleQuoted = !(spaceBreak || breakSpace || special || tabs);
  const block = !(spaceBreak || special || trailingSpace);
  return { plain, singleQuoted, block };
}

/** go-yaml writes strings containing a newline as literal blocks when the emitter allows it and the text is not all whitespace. */
function literalAllowed(s: string): boolean {
  return s.includes("\n") && /[^\s\x85]/.test(s) && analyze(s).block;
}

// Strings that would read back as another type: go-yaml writes them double-quoted.
const RESOLVES_TO_NON_STRING: readonly RegExp[] = [
  /^(?:~|null|Null|NULL)$/,
  /^(?:true|True|TRUE|false|False|FALSE)$/,
  /^[-+]?(?:\.inf|\.Inf|\.INF)$/,
  /^(?:\.nan|\.NaN|\.NAN)$/,
  /^\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]|[ \t]+)\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::?\d{2})?))?)?$/, // timestamps
];

/**
 * go-yaml's number resolution: for text starting with a digit, sign or dot it drops every `_` and tries Go's
 * `ParseInt(s, 0, 64)` (0b/0o/0x prefixes, leading-zero octal) and its YAML float pattern.
 */
function resolvesToNumber(s: string): boolean {
  if (!/^[-+.0-9]/.test(s)) return false;
  const p = s.replaceAll("_", "");
  return (
    /^[-+]?(?:0[bB][01]+|0[oO]?[0-7]*|0[xX][0-9a-fA-F]+|[1-9][0-9]*)$/.test(p) ||
    /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(p)
  );
}

// Strings that are plain-safe in YAML 1.2 but not for YAML 1.1 readers (booleans, base-60, merge key): go-yaml
// refuses the plain style for them, so the emitter falls back to single quotes.
const YAML11_AMBIGUOUS: readonly RegExp[] = [
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/,
  /^<<$/,
];

// A config repeats its keys and many values, and genconfig encodes one config per node: the go-yaml quoting
// decision (a dozen regular expressions per string) is kept for short strings, and for long ones up to a total size
// — the cluster's certificates and keys (a few KB each, scanned character by character) are in every node's config.
const formattedStrings = new Map<string, string>();
const FORMATTED_MAX = 20_000;
const FORMATTED_MAX_LENGTH = 256;
const formattedLongStrings = new Map<string, string>();
const FORMATTED_LONG_MAX_CHARS = 4_000_000;
let formattedLongChars = 0;

export function formatScalar(v: YamlScalar): string {
  if (typeof v !== "string") return formatScalarUncached(v);
  if (v.length > FORMATTED_MAX_LENGTH) return formatLongString(v);
  let out = formattedStrings.get(v);
  if (out === undefined) {
    out = formatScalarUncached(v);
    if (formattedStrings.size >= FORMATTED_MAX) formattedStrings.clear();
    formattedStrings.set(v, out);
  }
  return out;
}

function formatLongString(v: string): string {
  let out = formattedLongStrings.get(v);
  if (out === undefined) {
    out = formatScalarUncached(v);
    if (formattedLongChars + v.length > FORMATTED_LONG_MAX_CHARS) {
      formattedLongStrings.clear();
      formattedLongChars = 0;
    }
    if (v.length <= FORMATTED_LONG_MAX_CHARS) {
      formattedLongStrings.set(v, out);
      formattedLongChars += v.length;
    }
  }
  return out;
}

function formatScalarUncached(v: YamlScalar): string {
  if (v instanceof RawScalar) return v.text;
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? ".nan" : v > 0 ? ".inf" : "-.inf";
    return String(v);
  }
  const a = analyze(v);
  const typed = v === "" || resolvesToNumber(v) || RESOLVES_TO_NON_STRING.some((re) => re.test(v));
  const plainRefused = YAML11_AMBIGUOUS.some((re) => re.test(v));
  if (!typed && !plainRefused && a.plain) return v;
  if (!typed && a.singleQuoted && !v.includes("\n")) return `'${v.replaceAll("'", "''")}'`;
  return doubleQuoted(v);
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case "\\":
        out += "\\\\";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\t":
        out += "\\t";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\0":
        out += "\\0";
        break;
      case "\x07":
        out += "\\a";
        break;
      case "\b":
        out += "\\b";
        break;
      case "\v":
        out += "\\v";
        break;
      case "\f":
        out += "\\f";
        break;
      case "\x1b":
        out += "\\e";
        break;
      case "\x85":
        out += "\\N";
        break;
      case "\u2028":
        out += "\\L";
        break;
      case "\u2029":
        out += "\\P";
        break;
      default:
        if (NON_PRINTABLE.test(ch)) {
          out +=
            cp <= 0xff
              ? `\\x${cp.toString(16).toUpperCase().padStart(2, "0")}`
              : cp <= 0xffff
                ? `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}`
                : `\\U${cp.toString(16).toUpperCase().padStart(8, "0")}`;
        } else {
          out += ch;
        }
    }
  }
  return `${out}"`;
}

/*
 * A fast reader for the plain YAML most talconfig files are written in: block maps and sequences, plain and quoted
 * one-line scalars, literal block scalars (`|`, `|-`) and one-line flow collections. It gives the same data as the
 * `yaml` package's `parseDocument(…).toJS()` (YAML 1.2 core schema) and the same start offset (`range[0]`) for every
 * node, or undefined for anything else — anchors, aliases, tags, merge keys, multi-line flow or plain scalars, folded
 * or indentation-indicated block scalars, escapes, tabs, empty values, duplicate keys, numbers other than plain
 * decimal integers, syntax errors — which the `yaml` package then reads (YamlSource). The `yaml` package builds a CST
 * and a node tree with source tokens before the data; on a 1,000-node talconfig that was a quarter of genconfig's
 * CPU time (docs/bench.md, issue 22). `simple-yaml.test.ts` compares both readers on the test corpus and on
 * generated documents.
 */

export type SimpleNode = SimpleMap | SimpleSeq | SimpleScalar;

export interface SimpleMap {
  readonly kind: "map";
  readonly start: number;
  readonly keys: string[];
  readonly keyStarts: number[];
  readonly values: SimpleNode[];
}

export interface SimpleSeq {
  readonly kind: "seq";
  readonly start: number;
  readonly items: SimpleNode[];
}

export interface SimpleScalar {
  readonly kind: "scalar";
  readonly start: number;
  /** Offset after the scalar's source (for the `yaml` package: `range[1]`). */
  readonly end: number;
  value: unknown;
  /** A plain (unquoted, non-block) scalar: substitution re-types it as talhelper does. */
  readonly plain: boolean;
}

/** Thrown inside the reader for anything it does not read itself; never escapes parseSimpleYaml. */
const UNSUPPORTED: unique symbol = Symbol("unsupported");

function unsupported(): never {
  throw UNSUPPORTED;
}

// YAML 1.2 core schema, as in the yaml package (schema/core, tried in this order): what a plain scalar resolves to.
const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const TRUE_RE = /^(?:[Tt]rue|TRUE)$/;
const FALSE_RE = /^(?:[Ff]alse|FALSE)$/;
const INT_OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const INT_HEX_RE = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
// Only these can start a scalar that is not a string.
const NON_STRING_START_RE = /^[-+.0-9~nNtTfF]|^$/;

function plainValue(s: string): unknown {
  if (!NON_STRING_START_RE.test(s)) return s;
  if (NULL_RE.test(s)) return null;
  if (TRUE_RE.test(s)) return true;
  if (FALSE_RE.test(s)) return false;
  if (INT_OCT_RE.test(s)) return parseInt(s.substring(2), 8);
  if (INT_RE.test(s)) return parseInt(s, 10);
  if (INT_HEX_RE.test(s)) return parseInt(s.substring(2), 16);
  if (FLOAT_NAN_RE.test(s)) unsupported();
  if (FLOAT_EXP_RE.test(s) || FLOAT_RE.test(s)) return parseFloat(s);
  return s;
}

// A block mapping key: a plain scalar without indicators, spaces, colons, `$` or masked `${…}` references (keys like
// `a b` or `"x"` are left to yaml).
const KEY_RE = /[A-Za-z0-9_./\\=+~^\u00a0-\udfff\uf900-\uffff][^\s:#,[\]{}'"&*!|>%@`$\ue000-\uf8ff]*/y;
// The first character of a plain scalar (c-indicator characters cannot start one here).
const PLAIN_START_RE = /[^\s\-?:,[\]{}#&*!|>'"%@`]|[-?:][^\s,[\]{}]/y;

class Reader {
  private readonly text: string;
  /** Offset of every line's first character. */
  private readonly starts: number[] = [];
  /** Leading spaces of each line; -1 for a blank or comment-only line. */
  private readonly indents: number[] = [];
  private line = 0;

  constructor(text: string) {
    this.text = text;
    let at = 0;
    for (;;) {
      this.starts.push(at);
      const nl = text.indexOf("\n", at);
      const end = nl < 0 ? text.length : nl;
      let i = at;
      while (i < end && text.charCodeAt(i) === 32) i++;
      this.indents.push(i === end || text.charCodeAt(i) === 35 ? -1 : i - at);
      if (nl < 0) break;
      at = nl + 1;
    }
  }

  /** The root block map, or unsupported. */
  document(): SimpleMap {
    this.skipBlank();
    if (this.line < this.starts.length && this.lineText(this.line) === "---") {
      this.line++;
      this.skipBlank();
    }
    if (this.line >= this.starts.length || this.indents[this.line] !== 0) unsupported();
    const root = this.blockMap(this.line, this.starts[this.line]!, 0);
    this.skipBlank();
    if (this.line < this.starts.length) unsupported();
    return root;
  }

  private lineEnd(l: number): number {
    return l + 1 < this.starts.length ? this.starts[l + 1]! - 1 : this.text.length;
  }

  private lineText(l: number): string {
    return this.text.slice(this.starts[l], this.lineEnd(l));
  }

  private skipBlank(): void {
    while (this.line < this.starts.length && this.indents[this.line] === -1) this.line++;
  }

  /** The next content line's indentation (skipping blank and comment lines), or -1 at the end. */
  private nextIndent(): number {
    this.skipBlank();
    return this.line < this.starts.length ? this.indents[this.line]! : -1;
  }

  /** A block map whose first key is at `at` on line `l`, its keys at column `col`. */
  private blockMap(l: number, at: number, col: number): SimpleMap {
    const map: SimpleMap = { kind: "map", start: at, keys: [], keyStarts: [], values: [] };
    const seen = new Set<string>();
    let pos = at;
    this.line = l;
    for (;;) {
      KEY_RE.lastIndex = pos;
      if (!KEY_RE.test(this.text)) unsupported();
      const keyEnd = KEY_RE.lastIndex;
      const key = this.text.slice(pos, keyEnd);
      if (this.text.charCodeAt(keyEnd) !== 58 /* : */) unsupported();
      if (key === "<<" || key === "__proto__" || seen.has(key) || plainValue(key) !== key) unsupported();
      seen.add(key);
      map.keys.push(key);
      map.keyStarts.push(pos);
      map.values.push(this.value(keyEnd + 1, col, false));
      const next = this.nextIndent();
      if (next < col) return map;
      if (next > col) unsupported();
      if (this.text.charCodeAt(this.starts[this.line]! + col) === 45 /* - */ && this.isSeqItem(this.line, col))
        unsupported(); // a sequence item where a key belongs
      pos = this.starts[this.line]! + col;
    }
  }

  private isSeqItem(l: number, col: number): boolean {
    const at = this.starts[l]! + col;
    if (this.text.charCodeAt(at) !== 45) return false;
    const c = this.text.charCodeAt(at + 1);
    return at + 1 >= this.lineEnd(l) || c === 32;
  }

  /** A block sequence whose items' dashes are at column `col`, from line `l`. */
  private blockSeq(l: number, col: number): SimpleSeq {
    const seq: SimpleSeq = { kind: "seq", start: this.starts[l]! + col, items: [] };
    this.line = l;
    for (;;) {
      const dash = this.starts[this.line]! + col;
      seq.items.push(this.value(dash + 1, col, true));
      const next = this.nextIndent();
      if (next < col) return seq;
      if (next > col) unsupported();
      if (!this.isSeqItem(this.line, col)) return seq; // the parent map's next key (a compact sequence)
    }
  }

  /**
   * The value after a key's colon or a sequence item's dash at `from` (on this.line), inside a collection whose
   * entries are at column `col`. Leaves this.line after the value.
   */
  private value(from: number, col: number, inSeq: boolean): SimpleNode {
    const l = this.line;
    const end = this.lineEnd(l);
    let i = from;
    if (i < end && this.text.charCodeAt(i) !== 32) unsupported(); // `key:value` / `-x`
    while (i < end && this.text.charCodeAt(i) === 32) i++;
    if (i === end || this.text.charCodeAt(i) === 35 /* # */) {
      // The value is on the following lines: a deeper block collection, or a compact sequence under a key.
      this.line = l + 1;
      const next = this.nextIndent();
      if (next < 0) unsupported();
      if (next > col) {
        return this.isSeqItem(this.line, next)
          ? this.blockSeq(this.line, next)
          : this.blockMap(this.line, this.starts[this.line]! + next, next);
      }
      if (next === col && !inSeq && this.isSeqItem(this.line, col)) return this.blockSeq(this.line, col);
      unsupported(); // an empty value
    }
    const c = this.text.charCodeAt(i);
    if (inSeq) {
      if (c === 45 && this.isSeqItem(l, i - this.starts[l]!)) unsupported(); // `- - x`
      KEY_RE.lastIndex = i;
      if (KEY_RE.test(this.text) && this.text.charCodeAt(KEY_RE.lastIndex) === 58) {
        const after = this.text.charCodeAt(KEY_RE.lastIndex + 1);
        if (KEY_RE.lastIndex + 1 >= end || after === 32) return this.blockMap(l, i, i - this.starts[l]!);
      }
    }
    if (c === 124 /* | */ || c === 62 /* > */) return this.blockScalar(i, col);
    let node: SimpleNode;
    let after: number;
    if (c === 34 /* " */ || c === 39 /* ' */) [node, after] = this.quoted(i, end);
    else if (c === 91 /* [ */ || c === 123 /* { */) [node, after] = this.flow(i, end);
    else [node, after] = this.plain(i, end);
    this.lineRest(after, end);
    this.line = l + 1;
    return node;
  }

  /** Only spaces and a comment may follow a value on its line. */
  private lineRest(from: number, end: number): void {
    let i = from;
    while (i < end && this.text.charCodeAt(i) === 32) i++;
    if (i < end && (i === from || this.text.charCodeAt(i) !== 35)) unsupported();
  }

  private plain(at: number, end: number): [SimpleScalar, number] {
    PLAIN_START_RE.lastIndex = at;
    if (!PLAIN_START_RE.test(this.text)) unsupported();
    let stop = at;
    while (stop < end && !(this.text.charCodeAt(stop) === 35 && this.text.charCodeAt(stop - 1) === 32)) stop++;
    if (stop < end) stop--; // the space before the comment
    let last = stop;
    while (last > at && this.text.charCodeAt(last - 1) === 32) last--;
    const s = this.text.slice(at, last);
    if (s.includes(": ") || s.endsWith(":")) unsupported();
    return [{ kind: "scalar", start: at, end: last, value: plainValue(s), plain: true }, last];
  }

  private quoted(at: number, end: number): [SimpleScalar, number] {
    const q = this.text.charCodeAt(at);
    let out = "";
    let i = at + 1;
    for (;;) {
      const close = this.text.indexOf(q === 34 ? '"' : "'", i);
      if (close < 0 || close >= end) unsupported(); // multi-line
      const part = this.text.slice(i, close);
      if (q === 34 && part.includes("\\")) unsupported(); // escapes
      out += part;
      if (q === 39 && this.text.charCodeAt(close + 1) === 39) {
        out += "'";
        i = close + 2;
        continue;
      }
      return [{ kind: "scalar", start: at, end: close + 1, value: out, plain: false }, close + 1];
    }
  }

  /** A one-line flow collection at `at`. */
  private flow(at: number, end: number): [SimpleNode, number] {
    const open = this.text.charCodeAt(at);
    const skip = (i: number) => {
      while (i < end && this.text.charCodeAt(i) === 32) i++;
      return i;
    };
    let i = skip(at + 1);
    if (open === 91 /* [ */) {
      const seq: SimpleSeq = { kind: "seq", start: at, items: [] };
      if (this.text.charCodeAt(i) === 93) return [seq, i + 1];
      for (;;) {
        const [item, after] = this.flowItem(i, end);
        seq.items.push(item);
        i = skip(after);
        const c = this.text.charCodeAt(i);
        if (i < end && c === 93) return [seq, i + 1];
        if (i >= end || c !== 44) unsupported();
        i = skip(i + 1);
        if (i >= end || this.text.charCodeAt(i) === 93) unsupported(); // trailing comma
      }
    }
    const map: SimpleMap = { kind: "map", start: at, keys: [], keyStarts: [], values: [] };
    if (this.text.charCodeAt(i) === 125) return [map, i + 1];
    for (;;) {
      KEY_RE.lastIndex = i;
      if (!KEY_RE.test(this.text)) unsupported();
      let keyEnd = KEY_RE.lastIndex;
      if (keyEnd > end) keyEnd = end;
      const key = this.text.slice(i, keyEnd);
      if (this.text.charCodeAt(keyEnd) !== 58 || this.text.charCodeAt(keyEnd + 1) !== 32) unsupported();
      if (key === "<<" || key === "__proto__" || map.keys.includes(key) || plainValue(key) !== key) unsupported();
      map.keys.push(key);
      map.keyStarts.push(i);
      const [value, after] = this.flowItem(skip(keyEnd + 1), end);
      map.values.push(value);
      i = skip(after);
      const c = this.text.charCodeAt(i);
      if (i < end && c === 125) return [map, i + 1];
      if (i >= end || c !== 44) unsupported();
      i = skip(i + 1);
      if (i >= end || this.text.charCodeAt(i) === 125) unsupported();
    }
  }

  private flowItem(at: number, end: number): [SimpleNode, number] {
    if (at >= end) unsupported();
    const c = this.text.charCodeAt(at);
    if (c === 91 || c === 123) return this.flow(at, end);
    if (c === 34 || c === 39) return this.quoted(at, end);
    PLAIN_START_RE.lastIndex = at;
    if (!PLAIN_START_RE.test(this.text)) unsupported();
    let i = at;
    while (i < end) {
      const ch = this.text.charCodeAt(i);
      if (ch === 44 || ch === 91 || ch === 93 || ch === 123 || ch === 125) break;
      if (ch === 58 || ch === 35) unsupported(); // `a: b` pairs in sequences, `a:b`, comments
      i++;
    }
    let last = i;
    while (last > at && this.text.charCodeAt(last - 1) === 32) last--;
    const s = this.text.slice(at, last);
    return [{ kind: "scalar", start: at, end: last, value: plainValue(s), plain: true }, last];
  }

  /**
   * A literal or folded block scalar (`|`, `|-`, `>`, `>-`) whose indicator is at `at`, in a collection at column
   * `col`.
   */
  private blockScalar(at: number, col: number): SimpleScalar {
    const folded = this.text.charCodeAt(at) === 62;
    const l = this.line;
    const end = this.lineEnd(l);
    let i = at + 1;
    const strip = this.text.charCodeAt(i) === 45;
    if (strip) i++;
    this.lineRest(i, end);
    if (i < end && this.text.charCodeAt(i) !== 32) unsupported(); // `|+`, `|2`, …
    // Content lines: up to the first non-blank line indented at most `col` (comment lines there end it too).
    let indent = -1;
    const lines: string[] = [];
    let k = l + 1;
    let lastContent = -1;
    for (; k < this.starts.length; k++) {
      const s = this.starts[k]!;
      const e = this.lineEnd(k);
      let sp = s;
      while (sp < e && this.text.charCodeAt(sp) === 32) sp++;
      if (sp === e) {
        // All spaces: empty (longer than the content indentation would be content; left to yaml).
        if (indent >= 0 ? e - s > indent : false) unsupported();
        lines.push("");
        continue;
      }
      const lineIndent = sp - s;
      if (indent < 0) {
        if (lineIndent <= col) break;
        if (lines.some((_, j) => this.lineEnd(l + 1 + j) - this.starts[l + 1 + j]! > lineIndent)) unsupported();
        indent = lineIndent;
      }
      if (lineIndent < indent) {
        if (lineIndent > col && this.text.charCodeAt(sp) !== 35) unsupported(); // less indented content
        break;
      }
      lines.push(this.text.slice(s + indent, e));
      lastContent = lines.length - 1;
    }
    if (indent < 0) unsupported(); // empty
    // The last content line ends with a line break (at the very end of a text without one, clipping keeps none).
    if (l + 1 + lastContent >= this.starts.length - 1) unsupported();
    const content = lines.slice(0, lastContent + 1);
    const body = folded ? fold(content) : content.join("\n");
    this.line = l + 1 + lastContent + 1;
    const endOffset = this.starts[this.line]!;
    return { kind: "scalar", start: at, end: endOffset, value: strip ? body : `${body}\n`, plain: false };
  }
}

/**
 * Folded content: a line break between two text lines reads as a space, unless empty lines follow it (each a "\n");
 * around more-indented lines the line breaks stay.
 */
function fold(lines: readonly string[]): string {
  let out = "";
  let empty = 0;
  let previous: "none" | "text" | "spaced" = "none";
  for (const line of lines) {
    if (line === "") {
      empty++;
      continue;
    }
    const spaced = line.charCodeAt(0) === 32;
    if (previous === "none") out += "\n".repeat(empty);
    else if (previous === "text" && !spaced) out += empty > 0 ? "\n".repeat(empty) : " ";
    else out += "\n".repeat(empty + 1);
    out += line;
    previous = spaced ? "spaced" : "text";
    empty = 0;
  }
  return out;
}

export interface SimpleDocument {
  readonly root: SimpleMap;
  /** Offset of every line's first character (as the yaml package's LineCounter records them). */
  readonly lineStarts: readonly number[];
}

/** Reads `text` when it is within the subset above (see the module comment); undefined otherwise. */
export function parseSimpleYaml(text: string): SimpleDocument | undefined {
  if (/[\t\r\ufeff]/.test(text)) return undefined;
  try {
    const reader = new Reader(text);
    const root = reader.document();
    const lineStarts = [0];
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
    return { root, lineStarts };
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}

/** The data of a node, as the yaml package's toJS gives it. */
export function simpleToJS(node: SimpleNode): unknown {
  if (node.kind === "scalar") return node.value;
  if (node.kind === "seq") return node.items.map(simpleToJS);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < node.keys.length; i++) out[node.keys[i]!] = simpleToJS(node.values[i]!);
  return out;
}

/** Every scalar (keys are plain strings without `$`, so only values), depth first. */
export function forEachSimpleScalar(node: SimpleNode, fn: (s: SimpleScalar) => void): void {
  if (node.kind === "scalar") fn(node);
  else if (node.kind === "seq") for (const n of node.items) forEachSimpleScalar(n, fn);
  else for (const n of node.values) forEachSimpleScalar(n, fn);
}

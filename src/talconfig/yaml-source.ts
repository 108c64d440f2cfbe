import YAML, { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from "yaml";
import type { SourcePosition } from "../diagnostics/index.js";

export type DocPath = readonly (string | number)[];

/** `["nodes", 2, "addresses", 0]` → `nodes[2].addresses[0]`. */
export function formatPath(path: DocPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

/**
 * A parsed YAML file that still knows where every node came from. Lookups never throw: a path that does not exist
 * resolves to its deepest existing ancestor, so every finding has a position.
 */
export class YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  private readonly lines: LineCounter;

  private readonly masks: string[] = [];

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.lines = new LineCounter();
    // `merge: true`: talhelper's yaml.v3 honours `<<: *anchor` merge keys, so talconfigs in the wild use them.
    this.doc = YAML.parseDocument(maskReferences(text, this.masks), {
      lineCounter: this.lines,
      uniqueKeys: true,
      prettyErrors: false,
      merge: true,
    });
  }

  /** Whether any `${...}` reference was masked for parsing. */
  get masked(): boolean {
    return this.masks.length > 0;
  }

  /** Puts the `${...}` references that were masked for parsing back into a scalar's text. */
  unmask(value: string): string {
    if (this.masks.length === 0) return value;
    return value.replace(MASK_RE, (m) => this.masks[m.charCodeAt(0) - MASK_BASE] ?? m);
  }

  positionAt(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line, col };
  }

  /** The node at `path` (aliases followed), or undefined. */
  nodeAt(path: DocPath): Node | undefined {
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      node = this.deref(node);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        node = pair?.value ?? undefined;
      } else if (isSeq(node) && typeof seg === "number") {
        node = node.items[seg];
      } else return undefined;
      if (node === undefined || node === null) return undefined;
    }
    return this.deref(node) as Node | undefined;
  }

  /** The key node of `path`'s last segment in its parent map (for unknown-key findings). */
  keyAt(path: DocPath): Node | undefined {
    if (path.length === 0) return undefined;
    const parent = this.deref(this.nodeAt(path.slice(0, -1)));
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find(
      (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(path[path.length - 1]),
    );
    return (pair?.key as Node | undefined) ?? undefined;
  }

  /** Position of the value at `path`, else of its key, else of the nearest existing ancestor; finally 1:1. */
  positionOf(path: DocPath, preferKey = false): SourcePosition {
    for (let n = path.length; n >= 0; n--) {
      const p = path.slice(0, n);
      const node =
        preferKey && n === path.length ? (this.keyAt(p) ?? this.nodeAt(p)) : (this.nodeAt(p) ?? this.keyAt(p));
      if (node?.range) return this.positionAt(node.range[0]);
    }
    return { file: this.file, line: 1, col: 1 };
  }

  private deref(node: unknown): unknown {
    let n = node;
    for (let hops = 0; isAlias(n) && hops < 100; hops++) n = n.resolve(this.doc);
    return n;
  }
}

// talhelper substitutes bytes before parsing, so `nameservers: [${DNS1}, ${DNS2}]` works there although `{`, `}` and
// `,` are YAML flow indicators. To parse such files and still keep exact positions, each single-line `${...}` is
// replaced before parsing by private-use characters of the same length, and put back into the scalars afterwards.
const MASK_BASE = 0xe000;
const MASK_FILL = "\uf8ff";
const MASK_LIMIT = 0xf8fe - MASK_BASE;
const MASK_RE = /[\ue000-\uf8fe]\uf8ff*/g;

function maskReferences(text: string, masks: string[]): string {
  if (!text.includes("${") || /[\ue000-\uf8ff]/.test(text)) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("${", i);
    if (start < 0 || masks.length >= MASK_LIMIT) break;
    let depth = 0;
    let end = -1;
    for (let k = start + 1; k < text.length && text[k] !== "\n"; k++) {
      if (text[k] === "{") depth++;
      else if (text[k] === "}" && --depth === 0) {
        end = k;
        break;
      }
    }
    if (end < 0) {
      out += text.slice(i, start + 2);
      i = start + 2;
      continue;
    }
    const ref = text.slice(start, end + 1);
    out += text.slice(i, start) + String.fromCharCode(MASK_BASE + masks.length) + MASK_FILL.repeat(ref.length - 1);
    masks.push(ref);
    i = end + 1;
  }
  return out + text.slice(i);
}

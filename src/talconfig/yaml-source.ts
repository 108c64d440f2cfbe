import YAML, { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from "yaml";
import type { SourcePosition } from "../diagnostics/index.js";
import { parseSimpleYaml, type SimpleDocument, type SimpleNode } from "./simple-yaml.js";

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
 *
 * With `simple: true` the text is first read by the fast reader (simple-yaml.ts) when it is within its subset; the
 * `yaml` package's document (`doc`) is then parsed only when something asks for it — a schema issue that needs a
 * scalar's source, for example — and `whenParsed` brings it to the state the simple reading is in (unmasked,
 * substituted). Positions come from the simple reading, identical to the document's.
 */
export class YamlSource {
  readonly file: string;
  readonly text: string;
  private readonly maskedText: string;
  private lines: LineCounter | undefined;
  private parsed: Document | undefined;
  private readonly masks: string[] = [];
  /** The fast reading, while it is used (see `dropSimple`). */
  private simpleDoc: SimpleDocument | undefined;
  /** Runs once on the document when it is parsed after a simple reading. */
  whenParsed: ((src: YamlSource) => void) | undefined;

  constructor(file: string, text: string, options: { readonly simple?: boolean } = {}) {
    this.file = file;
    this.text = text;
    this.maskedText = maskReferences(text, this.masks);
    if (options.simple) this.simpleDoc = parseSimpleYaml(this.maskedText);
  }

  /** The fast reading of the (masked) text, when it was within the simple subset. */
  get simple(): SimpleDocument | undefined {
    return this.simpleDoc;
  }

  /** Stops using the simple reading (the caller goes the `yaml` package's way instead). */
  dropSimple(): void {
    this.simpleDoc = undefined;
    this.whenParsed = undefined;
  }

  get doc(): Document {
    if (!this.parsed) {
      this.lines = new LineCounter();
      // `merge: true`: talhelper's yaml.v3 honours `<<: *anchor` merge keys, so talconfigs in the wild use them.
      this.parsed = YAML.parseDocument(this.maskedText, {
        lineCounter: this.lines,
        uniqueKeys: true,
        prettyErrors: false,
        merge: true,
      });
      if (this.simpleDoc) this.whenParsed?.(this);
    }
    return this.parsed;
  }

  private lineCounter(): LineCounter {
    if (!this.parsed) void this.doc;
    return this.lines!;
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
    const at = Math.max(0, Math.min(offset, this.text.length));
    const { line, col } = this.simpleDoc ? linePos(this.simpleDoc.lineStarts, at) : this.lineCounter().linePos(at);
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
    const simple = this.simpleDoc;
    for (let n = path.length; n >= 0; n--) {
      const p = path.slice(0, n);
      if (simple) {
        const at =
          preferKey && n === path.length
            ? (simpleKeyStart(simple.root, p) ?? simpleNodeAt(simple.root, p)?.start)
            : (simpleNodeAt(simple.root, p)?.start ?? simpleKeyStart(simple.root, p));
        if (at !== undefined) return this.positionAt(at);
        continue;
      }
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

// The lookups of YamlSource on the simple reading (keys are strings there; no aliases).
function simpleNodeAt(root: SimpleNode, path: DocPath): SimpleNode | undefined {
  let node: SimpleNode | undefined = root;
  for (const seg of path) {
    if (node.kind === "map") {
      const i = node.keys.indexOf(String(seg));
      node = i < 0 ? undefined : node.values[i];
    } else if (node.kind === "seq" && typeof seg === "number") node = node.items[seg];
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

function simpleKeyStart(root: SimpleNode, path: DocPath): number | undefined {
  if (path.length === 0) return undefined;
  const parent = simpleNodeAt(root, path.slice(0, -1));
  if (parent?.kind !== "map") return undefined;
  const i = parent.keys.indexOf(String(path[path.length - 1]));
  return i < 0 ? undefined : parent.keyStarts[i];
}

/** The yaml package's LineCounter.linePos on recorded line starts. */
function linePos(lineStarts: readonly number[], offset: number): { line: number; col: number } {
  let low = 0;
  let high = lineStarts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (lineStarts[mid]! < offset) low = mid + 1;
    else high = mid;
  }
  if (lineStarts[low] === offset) return { line: low + 1, col: 1 };
  if (low === 0) return { line: 0, col: offset };
  return { line: low, col: offset - lineStarts[low - 1]! + 1 };
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

/**
 * One evaluator for the Go `text/template` forms talhelper users write, wherever talhelper executes a template:
 * `filenameTmpl`, `imageFactory.installerURLTmpl` / `ISOURLTmpl`, templated label/annotation values and patch files.
 *
 * Supported: `{{ .A.B }}` fields, `$`/`$var` variables (`:=`, `=`), pipelines (`{{ .X | contains "y" }}`),
 * parenthesised sub-pipelines, `{{- -}}` trimming, comments, `if`/`else if`/`else`, `range [$k, $v :=] …`, `with`,
 * string/raw-string/number/bool/nil literals, and the Go builtins and sprig functions in `go-template-funcs.ts`.
 *
 * Hand-written because no maintained JavaScript library implements Go's template semantics (truthiness, `and`/`or`
 * returning an operand, `eq` against several values, `<no value>`, Go's `fmt.Print` spacing), and talhelper's output
 * must be matched byte for byte. Anything outside this subset is a `GoTemplateError` naming the construct: the output
 * never contains template text.
 */
import { GO_TEMPLATE_FUNCS, GoTemplateError, formatValue, truthy, type TemplateValue } from "./go-template-funcs.js";

export { GoTemplateError, type TemplateValue } from "./go-template-funcs.js";

/** Resolves `.Name` on a value (a Go struct field or map key); throws `GoTemplateError` when it does not exist. */
export type FieldResolver = (value: TemplateValue, name: string) => TemplateValue;

/** Field resolver for plain records (talhelper passes structs): a missing field is an error, as on a Go struct. */
export const recordField: FieldResolver = (value, name) => {
  if (
    value &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    !(value instanceof Map) &&
    Object.hasOwn(value, name)
  ) {
    return (value as Record<string, unknown>)[name];
  }
  const available = value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
  throw new GoTemplateError(
    `can't evaluate field ${name}${available.length ? ` (available: ${available.join(", ")})` : ""}`,
  );
};

/** True when a string contains Go template delimiters (talhelper's `SplitTemplatedMapItems` test). */
export function isTemplated(s: string): boolean {
  return s.includes("{{") && s.includes("}}");
}

/** Executes a Go template against `data`; `field` resolves `.Name` selectors (default: `recordField`). */
export function executeGoTemplate(src: string, data: TemplateValue, field: FieldResolver = recordField): string {
  const nodes = parseCached(src);
  const vars = new Map<string, TemplateValue>([["$", data]]);
  let out = "";

  const evalArg = (a: Arg, dot: TemplateValue, piped: TemplateValue[]): TemplateValue => {
    switch (a.t) {
      case "lit":
        return a.v;
      case "sub":
        return evalPipe(a.pipe, dot);
      case "ident": {
        const f = GO_TEMPLATE_FUNCS[a.name];
        if (!f) throw new GoTemplateError(`function "${a.name}" not defined`);
        return f(...piped);
      }
      case "field": {
        let v: TemplateValue;
        if (a.base === "dot") v = dot;
        else if (vars.has(a.base)) v = vars.get(a.base);
        else throw new GoTemplateError(`undefined variable "${a.base}"`);
        for (const name of a.path) v = field(v, name);
        return v;
      }
    }
  };
  const evalCmd = (cmd: Cmd, dot: TemplateValue, prev: TemplateValue[]): TemplateValue => {
    const [head, ...rest] = cmd;
    if (head!.t === "ident") return evalArg(head!, dot, [...rest.map((a) => evalArg(a, dot, [])), ...prev]);
    if (rest.length > 0 || prev.length > 0) throw new GoTemplateError("can't give arguments to a non-function");
    return evalArg(head!, dot, []);
  };
  const evalPipe = (pipe: Cmd[], dot: TemplateValue): TemplateValue => {
    let prev: TemplateValue[] = [];
    let v: TemplateValue;
    for (const cmd of pipe) {
      v = evalCmd(cmd, dot, prev);
      prev = [v];
    }
    return v;
  };
  const run = (list: readonly Node[], dot: TemplateValue): void => {
    for (const node of list) {
      switch (node.n) {
        case "text":
          out += node.text;
          break;
        case "out":
          out += formatValue(evalPipe(node.pipe, dot));
          break;
        case "set":
          vars.set(node.name, evalPipe(node.pipe, dot));
          break;
        case "if": {
          const hit = node.branches.find((b) => b.pipe === undefined || truthy(evalPipe(b.pipe, dot)));
          if (hit) run(hit.body, dot);
          break;
        }
        case "with": {
          const v = evalPipe(node.pipe, dot);
          if (truthy(v)) run(node.body, v);
          else run(node.orElse, dot);
          break;
        }
        case "range": {
          const v = evalPipe(node.pipe, dot);
          const items = rangeItems(v);
          if (items.length === 0) run(node.orElse, dot);
          for (const [k, x] of items) {
            if (node.vars.length === 1) vars.set(node.vars[0]!, x);
            if (node.vars.length === 2) {
              vars.set(node.vars[0]!, k);
              vars.set(node.vars[1]!, x);
            }
            run(node.body, x);
          }
          break;
        }
      }
    }
  };
  run(nodes, data);
  return out;
}

/** What `range` iterates: lists, maps and (Go ≥ 1.22) integers; Go refuses anything else, and so do we. */
function rangeItems(v: TemplateValue): [TemplateValue, TemplateValue][] {
  if (Array.isArray(v)) return v.map((x, i) => [i, x]);
  if (v instanceof Map) return [...v];
  if (v === undefined || v === null) return [];
  if (typeof v === "number" && Number.isInteger(v)) return Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
  throw new GoTemplateError(`range can't iterate over ${formatValue(v)}`);
}

// ---- lexing into text and actions --------------------------------------------------------------------------------

type Piece = { kind: "text"; text: string } | { kind: "action"; body: string };

// Go trims "spaces" next to `{{-` / `-}}`: space, tab, carriage return and newline.
const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r" || c === "\n";

function split(src: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      out.push({ kind: "text", text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let bodyStart = open + 2;
    if (src[open + 2] === "-" && isSpace(src[open + 3])) {
      text = text.replace(/[ \t\r\n]+$/, "");
      bodyStart = open + 3;
    }
    if (text) out.push({ kind: "text", text });
    const close = findClose(src, bodyStart);
    if (close < 0) throw new GoTemplateError("unclosed action `{{`");
    let body = src.slice(bodyStart, close);
    let next = close + 2;
    if (body.endsWith("-") && isSpace(body[body.length - 2])) {
      body = body.slice(0, -1);
      while (next < src.length && isSpace(src[next])) next++;
    }
    out.push({ kind: "action", body: body.trim() });
    i = next;
  }
  return out;
}

function findClose(src: string, from: number): number {
  let inStr: string | undefined;
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (inStr) {
      if (c === "\\" && inStr === '"') i++;
      else if (c === inStr) inStr = undefined;
    } else if (c === '"' || c === "`") inStr = c;
    else if (src.startsWith("}}", i)) return i;
  }
  return -1;
}

// ---- pipelines ---------------------------------------------------------------------------------------------------

type Arg =
  | { t: "field"; base: "dot" | string; path: string[] }
  | { t: "lit"; v: TemplateValue }
  | { t: "ident"; name: string }
  | { t: "sub"; pipe: Cmd[] };
type Cmd = Arg[];

function lexArgs(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      if (j >= s.length) throw new GoTemplateError("unterminated quoted string");
      out.push(s.slice(i, j + 1));
      i = j + 1;
    } else if (c === "`") {
      const j = s.indexOf("`", i + 1);
      if (j < 0) throw new GoTemplateError("unterminated raw quoted string");
      out.push(s.slice(i, j + 1));
      i = j + 1;
    } else if (c === "(" || c === ")" || c === "|") {
      out.push(c);
      i++;
    } else {
      let j = i;
      while (j < s.length && !/[\s()|]/.test(s[j]!)) j++;
      out.push(s.slice(i, j));
      i = j;
    }
  }
  return out;
}

function parsePipeline(body: string): Cmd[] {
  const tokens = lexArgs(body);
  let pos = 0;
  let depth = 0;
  const parse = (): Cmd[] => {
    const cmds: Cmd[] = [[]];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if (t === ")") {
        if (depth === 0) throw new GoTemplateError("unexpected right paren");
        return cmds;
      }
      if (t === "|") {
        cmds.push([]);
        continue;
      }
      const cmd = cmds[cmds.length - 1]!;
      if (t === "(") {
        depth++;
        const sub = parse();
        if (tokens[pos - 1] !== ")") throw new GoTemplateError("unclosed left paren");
        depth--;
        cmd.push({ t: "sub", pipe: sub });
      } else cmd.push(parseArg(t));
    }
    return cmds;
  };
  const cmds = parse();
  if (cmds.some((c) => c.length === 0)) throw new GoTemplateError("missing value for command");
  return cmds;
}

function parseArg(t: string): Arg {
  if (t.startsWith('"')) {
    try {
      return { t: "lit", v: JSON.parse(t) as string };
    } catch {
      throw new GoTemplateError(`bad string literal ${t}`);
    }
  }
  if (t.startsWith("`")) return { t: "lit", v: t.slice(1, -1) };
  if (t === "true" || t === "false") return { t: "lit", v: t === "true" };
  if (t === "nil") return { t: "lit", v: undefined };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { t: "lit", v: Number(t) };
  if (t === ".") return { t: "field", base: "dot", path: [] };
  if (/^(\.[A-Za-z_]\w*)+$/.test(t)) return { t: "field", base: "dot", path: t.slice(1).split(".") };
  if (/^\$\w*(\.[A-Za-z_]\w*)*$/.test(t)) {
    const [name, ...path] = t.split(".");
    return { t: "field", base: name!, path };
  }
  if (/^[A-Za-z_]\w*$/.test(t)) return { t: "ident", name: t };
  throw new GoTemplateError(`unsupported syntax "${t}"`);
}

// ---- the template tree -------------------------------------------------------------------------------------------

type Node =
  | { n: "text"; text: string }
  | { n: "out"; pipe: Cmd[] }
  | { n: "set"; name: string; pipe: Cmd[] }
  | { n: "if"; branches: { pipe: Cmd[] | undefined; body: Node[] }[] }
  | { n: "range"; vars: string[]; pipe: Cmd[]; body: Node[]; orElse: Node[] }
  | { n: "with"; pipe: Cmd[]; body: Node[]; orElse: Node[] };

function parseTemplate(src: string): Node[] {
  const pieces = split(src);
  let pos = 0;
  const block = (inBlock: boolean): { body: Node[]; end: string } => {
    const body: Node[] = [];
    while (pos < pieces.length) {
      const p = pieces[pos++]!;
      if (p.kind === "text") {
        body.push({ n: "text", text: p.text });
        continue;
      }
      const b = p.body;
      if (b.startsWith("/*")) continue;
      const word = b.split(/\s+/)[0]!;
      if (word === "end" || word === "else") {
        if (!inBlock) throw new GoTemplateError(`unexpected {{${b}}}`);
        return { body, end: b.replace(/\s+/g, " ") };
      }
      if (word === "if") {
        const branches: { pipe: Cmd[] | undefined; body: Node[] }[] = [];
        let cond: Cmd[] | undefined = parsePipeline(b.slice(2));
        for (;;) {
          const r = block(true);
          branches.push({ pipe: cond, body: r.body });
          if (r.end === "end") break;
          const rest = r.end.slice(4).trim();
          if (rest.startsWith("if ")) cond = parsePipeline(rest.slice(3));
          else if (rest === "") cond = undefined;
          else throw new GoTemplateError(`unsupported {{${r.end}}}`);
        }
        body.push({ n: "if", branches });
      } else if (word === "range" || word === "with") {
        let rest = b.slice(word.length).trim();
        const vars: string[] = [];
        const decl = /^(\$\w+)(?:\s*,\s*(\$\w+))?\s*:=\s*/.exec(rest);
        if (decl) {
          vars.push(decl[1]!);
          if (decl[2]) vars.push(decl[2]);
          rest = rest.slice(decl[0].length);
        }
        const r = block(true);
        let orElse: Node[] = [];
        if (r.end === "else") {
          const e = block(true);
          if (e.end !== "end") throw new GoTemplateError(`unexpected {{${e.end}}} in ${word}`);
          orElse = e.body;
        } else if (r.end !== "end") throw new GoTemplateError(`unexpected {{${r.end}}} in ${word}`);
        const pipe = parsePipeline(rest);
        body.push(
          word === "range"
            ? { n: "range", vars, pipe, body: r.body, orElse }
            : { n: "with", pipe, body: r.body, orElse },
        );
      } else if (["define", "template", "block", "break", "continue"].includes(word)) {
        throw new GoTemplateError(`{{${word}}} is not supported`);
      } else {
        const set = /^(\$\w+)\s*:?=\s*(.*)$/s.exec(b);
        body.push(
          set ? { n: "set", name: set[1]!, pipe: parsePipeline(set[2]!) } : { n: "out", pipe: parsePipeline(b) },
        );
      }
    }
    if (inBlock) throw new GoTemplateError("unexpected EOF: missing {{end}}");
    return { body, end: "" };
  };
  return block(false).body;
}

// genconfig executes the same few templates (filenameTmpl, patch files) once per node: parsed trees are kept by text.
// Only successful parses are kept; the bound keeps a long-lived process small.
const parsedTemplates = new Map<string, readonly Node[]>();
const PARSED_TEMPLATES_MAX = 256;

function parseCached(src: string): readonly Node[] {
  const hit = parsedTemplates.get(src);
  if (hit) return hit;
  const nodes = parseTemplate(src);
  if (parsedTemplates.size >= PARSED_TEMPLATES_MAX) parsedTemplates.clear();
  parsedTemplates.set(src, nodes);
  return nodes;
}

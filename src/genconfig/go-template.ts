import { TalformError } from "../diagnostics/index.js";

/**
 * A small evaluator for the Go `text/template` forms talhelper users write (label/annotation values, patch files,
 * `filenameTmpl`): `{{ .A.B }}`, pipelines (`{{ .X | contains "y" }}`), `{{- -}}` trimming, `if`/`else if`/`else`,
 * `range [$v :=] …`, `with`, variables, string/number/bool literals, and the sprig/builtin functions listed in
 * FUNCS. Hand-written because no maintained JS library implements Go's template semantics (truthiness, `eq` on mixed
 * arguments, `<no value>`). Anything outside this subset fails with an error naming the construct — the output never
 * contains template text.
 */

export type TemplateValue = unknown;

/** Resolves `.Name` on a value (Go field or map key); throws TemplateFieldError when the field does not exist. */
export type FieldResolver = (value: TemplateValue, name: string) => TemplateValue;

export class TemplateFieldError extends Error {}

const NO_VALUE = Symbol("no value");

type Token = { kind: "text"; text: string } | { kind: "action"; body: string };

function tokenize(src: string, where: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      out.push({ kind: "text", text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let bodyStart = open + 2;
    if (src.startsWith("{{- ", open) || src.startsWith("{{-\n", open) || src.startsWith("{{-\t", open)) {
      text = text.replace(/[ \t\r\n]+$/, "");
      bodyStart = open + 3;
    }
    if (text) out.push({ kind: "text", text });
    const close = findClose(src, bodyStart);
    if (close < 0) throw templateError(where, "unclosed action `{{`");
    let body = src.slice(bodyStart, close);
    let next = close + 2;
    if (/[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -1);
      while (next < src.length && /[ \t\r\n]/.test(src[next]!)) next++;
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

function templateError(where: string, message: string): TalformError {
  return new TalformError(`${where}: template: ${message}`, {
    code: "template",
    hint: "talform supports Go template fields, pipelines, if/else/range/with and the functions eq, ne, lt, gt, not, and, or, len, contains, hasPrefix, hasSuffix, lower, upper, trim, replace, default, quote, join, printf, toString; simplify the template or use a plain value",
  });
}

// ---- expressions -------------------------------------------------------------------------------------------------

type Arg = { t: "field"; base: "dot" | string; path: string[] } | { t: "lit"; v: TemplateValue } | { t: "ident"; name: string } | { t: "sub"; pipe: Cmd[] };
type Cmd = Arg[];

function lexArgs(s: string, where: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      out.push(s.slice(i, j + 1));
      i = j + 1;
    } else if (c === "`") {
      const j = s.indexOf("`", i + 1);
      if (j < 0) throw templateError(where, "unterminated raw string");
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

function parsePipeline(tokens: string[], where: string): Cmd[] {
  let pos = 0;
  const parse = (): Cmd[] => {
    const cmds: Cmd[] = [[]];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if (t === ")") return cmds;
      if (t === "|") {
        cmds.push([]);
        continue;
      }
      const cmd = cmds[cmds.length - 1]!;
      if (t === "(") cmd.push({ t: "sub", pipe: parse() });
      else cmd.push(parseArg(t, where));
    }
    return cmds;
  };
  const cmds = parse();
  if (cmds.some((c) => c.length === 0)) throw templateError(where, "empty command in pipeline");
  return cmds;
}

function parseArg(t: string, where: string): Arg {
  if (t.startsWith('"')) {
    try {
      return { t: "lit", v: JSON.parse(t) as string };
    } catch {
      throw templateError(where, `bad string literal ${t}`);
    }
  }
  if (t.startsWith("`")) return { t: "lit", v: t.slice(1, -1) };
  if (t === "true" || t === "false") return { t: "lit", v: t === "true" };
  if (t === "nil") return { t: "lit", v: undefined };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { t: "lit", v: Number(t) };
  if (t === ".") return { t: "field", base: "dot", path: [] };
  if (t.startsWith(".")) return { t: "field", base: "dot", path: t.slice(1).split(".") };
  if (t.startsWith("$")) {
    const [name, ...path] = t.split(".");
    return { t: "field", base: name!, path };
  }
  if (/^[A-Za-z_]\w*$/.test(t)) return { t: "ident", name: t };
  throw templateError(where, `unsupported token "${t}"`);
}

// ---- functions ---------------------------------------------------------------------------------------------------

const str = (v: TemplateValue): string => format(v);
const FUNCS: Record<string, (...a: TemplateValue[]) => TemplateValue> = {
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => (a as number) < (b as number),
  le: (a, b) => (a as number) <= (b as number),
  gt: (a, b) => (a as number) > (b as number),
  ge: (a, b) => (a as number) >= (b as number),
  not: (a) => !truthy(a),
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  len: (a) => (Array.isArray(a) ? a.length : a instanceof Map ? a.size : str(a).length),
  contains: (sub, s) => str(s).includes(str(sub)),
  hasPrefix: (p, s) => str(s).startsWith(str(p)),
  hasSuffix: (p, s) => str(s).endsWith(str(p)),
  lower: (s) => str(s).toLowerCase(),
  upper: (s) => str(s).toUpperCase(),
  trim: (s) => str(s).trim(),
  replace: (o, n, s) => str(s).split(str(o)).join(str(n)),
  default: (d, v: TemplateValue) => (truthy(v) ? v : d),
  quote: (...a) => a.map((x) => JSON.stringify(str(x))).join(" "),
  join: (sep, l) => (Array.isArray(l) ? l.map(str).join(str(sep)) : str(l)),
  toString: (v: TemplateValue) => str(v),
  printf: (f, ...a) => {
    let i = 0;
    return str(f).replace(/%[sdvq%]/g, (m) => (m === "%%" ? "%" : m === "%q" ? JSON.stringify(str(a[i++])) : str(a[i++])));
  },
};

function truthy(v: TemplateValue): boolean {
  if (v === undefined || v === null || v === NO_VALUE || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** Go's `fmt.Print` of template values. */
function format(v: TemplateValue): string {
  if (v === NO_VALUE || v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(format).join(" ")}]`;
  if (v instanceof Map) return `map[${[...v].map(([k, x]) => `${k}:${format(x)}`).join(" ")}]`;
  return String(v);
}

// ---- execution ---------------------------------------------------------------------------------------------------

type Node =
  | { n: "text"; text: string }
  | { n: "out"; pipe: Cmd[] }
  | { n: "set"; name: string; pipe: Cmd[] }
  | { n: "if"; branches: { pipe: Cmd[] | undefined; body: Node[] }[] }
  | { n: "range"; vars: string[]; pipe: Cmd[]; body: Node[]; orElse: Node[] }
  | { n: "with"; pipe: Cmd[]; body: Node[]; orElse: Node[] };

function parseTemplate(src: string, where: string): Node[] {
  const tokens = tokenize(src, where);
  let pos = 0;
  const pipe = (s: string) => parsePipeline(lexArgs(s, where), where);
  const block = (terminators: readonly string[]): { body: Node[]; end: string } => {
    const body: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if (t.kind === "text") {
        body.push({ n: "text", text: t.text });
        continue;
      }
      const b = t.body;
      if (b.startsWith("/*")) continue;
      const word = b.split(/\s+/)[0]!;
      if (terminators.includes(word) || (word === "else" && terminators.includes("else"))) return { body, end: b };
      if (word === "if") {
        const branches: { pipe: Cmd[] | undefined; body: Node[] }[] = [];
        let cond: Cmd[] | undefined = pipe(b.slice(2));
        for (;;) {
          const r = block(["else", "end"]);
          branches.push({ pipe: cond, body: r.body });
          if (r.end === "end") break;
          const rest = r.end.slice(4).trim();
          if (rest.startsWith("if ")) cond = pipe(rest.slice(3));
          else if (rest === "") cond = undefined;
          else throw templateError(where, `unsupported {{${r.end}}}`);
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
        const r = block(["else", "end"]);
        let orElse: Node[] = [];
        if (r.end !== "end") orElse = block(["end"]).body;
        body.push(word === "range" ? { n: "range", vars, pipe: pipe(rest), body: r.body, orElse } : { n: "with", pipe: pipe(rest), body: r.body, orElse });
      } else if (["define", "template", "block", "break", "continue"].includes(word)) {
        throw templateError(where, `{{${word}}} is not supported`);
      } else {
        const set = /^(\$\w+)\s*:?=\s*(.*)$/s.exec(b);
        body.push(set ? { n: "set", name: set[1]!, pipe: pipe(set[2]!) } : { n: "out", pipe: pipe(b) });
      }
    }
    if (terminators.length > 0) throw templateError(where, `missing {{end}}`);
    return { body, end: "" };
  };
  return block([]).body;
}

/** Executes a Go template against `data`; `field` resolves `.Name` selectors. */
// genconfig executes the same few templates (filenameTmpl, patch files) once per node: parsed ASTs are kept by text.
// Only successful parses are kept (errors name the node's `where`); the bound keeps a long-lived process small.
const parsedTemplates = new Map<string, Node[]>();
const PARSED_TEMPLATES_MAX = 256;

function parseTemplateCached(src: string, where: string): Node[] {
  const hit = parsedTemplates.get(src);
  if (hit) return hit;
  const nodes = parseTemplate(src, where);
  if (parsedTemplates.size >= PARSED_TEMPLATES_MAX) parsedTemplates.clear();
  parsedTemplates.set(src, nodes);
  return nodes;
}

export function executeTemplate(src: string, data: TemplateValue, field: FieldResolver, where: string): string {
  const nodes = parseTemplateCached(src, where);
  const vars = new Map<string, TemplateValue>([["$", data]]);
  let out = "";

  const evalArg = (a: Arg, dot: TemplateValue, piped: TemplateValue[]): TemplateValue => {
    switch (a.t) {
      case "lit":
        return a.v;
      case "sub":
        return evalPipe(a.pipe, dot);
      case "ident": {
        const f = FUNCS[a.name];
        if (!f) throw templateError(where, `function "${a.name}" not defined`);
        return f(...piped);
      }
      case "field": {
        let v = a.base === "dot" ? dot : vars.has(a.base) ? vars.get(a.base) : (() => {
          throw templateError(where, `undefined variable "${a.base}"`);
        })();
        for (const name of a.path) {
          try {
            v = field(v, name);
          } catch (e) {
            if (e instanceof TemplateFieldError) throw templateError(where, e.message);
            throw e;
          }
        }
        return v;
      }
    }
  };
  const evalCmd = (cmd: Cmd, dot: TemplateValue, prev: TemplateValue[] ): TemplateValue => {
    const [head, ...rest] = cmd;
    if (head!.t === "ident") {
      const args = rest.map((a) => evalArg(a, dot, []));
      return evalArg(head!, dot, [...args, ...prev]);
    }
    if (rest.length > 0 || prev.length > 0) throw templateError(where, "can't give arguments to a non-function");
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
  const run = (list: Node[], dot: TemplateValue): void => {
    for (const node of list) {
      switch (node.n) {
        case "text":
          out += node.text;
          break;
        case "out":
          out += format(evalPipe(node.pipe, dot));
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
          run(truthy(v) ? node.body : node.orElse, truthy(v) ? v : dot);
          break;
        }
        case "range": {
          const v = evalPipe(node.pipe, dot);
          const items: [TemplateValue, TemplateValue][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : v instanceof Map ? [...v] : [];
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

/** True when a string contains Go template delimiters (talhelper's `SplitTemplatedMapItems` test). */
export function isTemplated(s: string): boolean {
  return s.includes("{{") && s.includes("}}");
}

/** Field resolver for plain records (filenameTmpl data): missing fields are errors, as Go's on structs. */
export const recordField: FieldResolver = (value, name) => {
  if (value && typeof value === "object" && !Array.isArray(value) && !(value instanceof Map) && Object.hasOwn(value, name)) return (value as Record<string, unknown>)[name];
  throw new TemplateFieldError(`can't evaluate field ${name}`);
};

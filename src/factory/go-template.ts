/**
 * The subset of Go `text/template` (+ the sprig functions people use in URL templates) that talhelper's
 * `imageFactory.installerURLTmpl` / `ISOURLTmpl` need: `{{.Field}}`, `{{if …}}…{{else if …}}…{{else}}…{{end}}`,
 * `{{- … -}}` trimming, string/bool literals, function calls with parentheses and `|` pipelines.
 *
 * Hand-written because no maintained npm package implements Go template semantics (truthiness, `and`/`or`
 * returning operands, printing bools as `true`), and the URLs must match talhelper's byte for byte. Anything outside
 * the subset is an error naming the construct, never a silently different URL.
 */

export type TemplateValue = string | boolean | number;
export type TemplateData = Readonly<Record<string, TemplateValue>>;

export class TemplateError extends Error {}

type Fn = (...args: TemplateValue[]) => TemplateValue;

const truthy = (v: TemplateValue): boolean => (typeof v === "string" ? v !== "" : typeof v === "number" ? v !== 0 : v);
const text = (v: TemplateValue): string => String(v);
const arity =
  (n: number, name: string, f: (...a: TemplateValue[]) => TemplateValue): Fn =>
  (...a) => {
    if (a.length !== n) throw new TemplateError(`wrong number of args for ${name}: want ${n} got ${a.length}`);
    return f(...a);
  };

const FUNCS: Record<string, Fn> = {
  and: (...a) => {
    for (const v of a) if (!truthy(v)) return v;
    return a[a.length - 1] ?? "";
  },
  or: (...a) => {
    for (const v of a) if (truthy(v)) return v;
    return a[a.length - 1] ?? "";
  },
  not: arity(1, "not", (v) => !truthy(v!)),
  eq: arity(2, "eq", (a, b) => a === b),
  ne: arity(2, "ne", (a, b) => a !== b),
  // Go's fmt.Sprint: spaces only between operands when neither is a string.
  print: (...a) => a.map((v, i) => (i > 0 && typeof v !== "string" && typeof a[i - 1] !== "string" ? " " : "") + text(v)).join(""),
  trim: arity(1, "trim", (s) => text(s!).trim()),
  trimPrefix: arity(2, "trimPrefix", (p, s) => (text(s!).startsWith(text(p!)) ? text(s!).slice(text(p!).length) : text(s!))),
  trimSuffix: arity(2, "trimSuffix", (p, s) => (text(p!) !== "" && text(s!).endsWith(text(p!)) ? text(s!).slice(0, -text(p!).length) : text(s!))),
  hasPrefix: arity(2, "hasPrefix", (p, s) => text(s!).startsWith(text(p!))),
  hasSuffix: arity(2, "hasSuffix", (p, s) => text(s!).endsWith(text(p!))),
  contains: arity(2, "contains", (sub, s) => text(s!).includes(text(sub!))),
  lower: arity(1, "lower", (s) => text(s!).toLowerCase()),
  upper: arity(1, "upper", (s) => text(s!).toUpperCase()),
  replace: arity(3, "replace", (o, n, s) => text(s!).split(text(o!)).join(text(n!))),
  default: arity(2, "default", (d, v) => (truthy(v!) ? v! : d!)),
};

// ---------------------------------------------------------------------------------------------------------------
// Lexing into text and actions.

type Piece = { kind: "text"; value: string } | { kind: "action"; body: string };

function split(template: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i < template.length) {
    const open = template.indexOf("{{", i);
    let chunk = open < 0 ? template.slice(i) : template.slice(i, open);
    if (trimNext) chunk = chunk.replace(/^\s+/, "");
    if (open < 0) {
      if (chunk) pieces.push({ kind: "text", value: chunk });
      break;
    }
    const close = template.indexOf("}}", open + 2);
    if (close < 0) throw new TemplateError("unclosed action");
    let body = template.slice(open + 2, close);
    if (/^-\s/.test(body)) {
      chunk = chunk.replace(/\s+$/, "");
      body = body.slice(1);
    }
    trimNext = /\s-$/.test(body);
    if (trimNext) body = body.slice(0, -1);
    if (chunk) pieces.push({ kind: "text", value: chunk });
    pieces.push({ kind: "action", body: body.trim() });
    i = close + 2;
  }
  return pieces;
}

type Token = { t: "field"; name: string } | { t: "str"; v: string } | { t: "bool"; v: boolean } | { t: "num"; v: number } | { t: "ident"; name: string } | { t: "(" } | { t: ")" } | { t: "|" };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "(" || c === ")" || c === "|") {
      out.push({ t: c });
      i++;
    } else if (c === '"' || c === "`") {
      const end = c === "`" ? src.indexOf("`", i + 1) : findStringEnd(src, i);
      if (end < 0) throw new TemplateError("unterminated string");
      out.push({ t: "str", v: c === "`" ? src.slice(i + 1, end) : (JSON.parse(src.slice(i, end + 1)) as string) });
      i = end + 1;
    } else {
      const m = /^[^\s()|]+/.exec(src.slice(i))![0];
      if (m.startsWith(".")) {
        if (!/^\.[A-Za-z_][A-Za-z0-9_]*$/.test(m)) throw new TemplateError(`unsupported field reference ${m}`);
        out.push({ t: "field", name: m.slice(1) });
      } else if (m === "true" || m === "false") out.push({ t: "bool", v: m === "true" });
      else if (/^-?[0-9]+$/.test(m)) out.push({ t: "num", v: Number(m) });
      else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(m)) out.push({ t: "ident", name: m });
      else throw new TemplateError(`unsupported syntax "${m}"`);
      i += m.length;
    }
  }
  return out;
}

function findStringEnd(src: string, start: number): number {
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === "\\") i++;
    else if (src[i] === '"') return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation.

function evalPipeline(tokens: Token[], data: TemplateData): TemplateValue {
  const stages: Token[][] = [[]];
  let depth = 0;
  for (const tok of tokens) {
    if (tok.t === "(") depth++;
    if (tok.t === ")") depth--;
    if (tok.t === "|" && depth === 0) stages.push([]);
    else stages[stages.length - 1]!.push(tok);
  }
  let value: TemplateValue | undefined;
  for (const stage of stages) value = evalCommand(stage, data, value);
  return value!;
}

function evalCommand(tokens: Token[], data: TemplateData, piped: TemplateValue | undefined): TemplateValue {
  if (tokens.length === 0) throw new TemplateError("missing value for command");
  const args: TemplateValue[] = [];
  let i = 1;
  while (i < tokens.length) {
    const [v, next] = evalOperand(tokens, i, data);
    args.push(v);
    i = next;
  }
  const head = tokens[0]!;
  if (head.t === "ident") {
    const fn = FUNCS[head.name];
    if (!fn) throw new TemplateError(`function "${head.name}" not defined (supported: ${Object.keys(FUNCS).join(", ")})`);
    return fn(...args, ...(piped === undefined ? [] : [piped]));
  }
  if (args.length > 0 || piped !== undefined) throw new TemplateError("can't give arguments to a non-function");
  return evalOperand(tokens, 0, data)[0];
}

function evalOperand(tokens: Token[], i: number, data: TemplateData): [TemplateValue, number] {
  const tok = tokens[i]!;
  switch (tok.t) {
    case "field": {
      if (!Object.hasOwn(data, tok.name)) throw new TemplateError(`can't evaluate field ${tok.name} (available: ${Object.keys(data).join(", ")})`);
      return [data[tok.name]!, i + 1];
    }
    case "str":
    case "bool":
    case "num":
      return [tok.v, i + 1];
    case "ident": {
      // A bare function name as an operand is a call without arguments.
      const fn = FUNCS[tok.name];
      if (!fn) throw new TemplateError(`function "${tok.name}" not defined`);
      return [fn(), i + 1];
    }
    case "(": {
      let depth = 1;
      let j = i + 1;
      for (; j < tokens.length && depth > 0; j++) {
        if (tokens[j]!.t === "(") depth++;
        if (tokens[j]!.t === ")") depth--;
      }
      if (depth !== 0) throw new TemplateError("unclosed parenthesis");
      return [evalPipeline(tokens.slice(i + 1, j - 1), data), j];
    }
    default:
      throw new TemplateError(`unexpected "${tok.t}"`);
  }
}

type Block = { kind: "text"; value: string } | { kind: "out"; expr: Token[] } | { kind: "if"; branches: { cond: Token[] | null; body: Block[] }[] };

function parseBlocks(pieces: Piece[], pos: { i: number }, inIf: boolean): { blocks: Block[]; stop?: string } {
  const blocks: Block[] = [];
  while (pos.i < pieces.length) {
    const p = pieces[pos.i++]!;
    if (p.kind === "text") {
      blocks.push({ kind: "text", value: p.value });
      continue;
    }
    const body = p.body;
    if (body.startsWith("/*")) continue;
    const word = /^(\w+)/.exec(body)?.[1];
    if (word === "if") {
      const branches: { cond: Token[] | null; body: Block[] }[] = [];
      let cond: Token[] | null = tokenize(body.slice(2));
      for (;;) {
        const r = parseBlocks(pieces, pos, true);
        branches.push({ cond, body: r.blocks });
        if (r.stop === "end") break;
        if (r.stop?.startsWith("else if")) cond = tokenize(r.stop.slice(7));
        else if (r.stop === "else") cond = null;
        else throw new TemplateError("unexpected EOF: missing {{end}}");
      }
      blocks.push({ kind: "if", branches });
    } else if (word === "end" || word === "else") {
      if (!inIf) throw new TemplateError(`unexpected {{${body}}}`);
      return { blocks, stop: body.replace(/\s+/g, " ") };
    } else if (word && ["range", "with", "define", "template", "block"].includes(word)) {
      throw new TemplateError(`{{${word}}} is not supported in URL templates`);
    } else {
      blocks.push({ kind: "out", expr: tokenize(body) });
    }
  }
  return { blocks };
}

function run(blocks: Block[], data: TemplateData): string {
  let out = "";
  for (const b of blocks) {
    if (b.kind === "text") out += b.value;
    else if (b.kind === "out") out += text(evalPipeline(b.expr, data));
    else {
      const hit = b.branches.find((br) => br.cond === null || truthy(evalPipeline(br.cond, data)));
      if (hit) out += run(hit.body, data);
    }
  }
  return out;
}

/** Executes a Go text/template (the subset above) against `data`. Throws `TemplateError` for anything else. */
export function executeGoTemplate(template: string, data: TemplateData): string {
  const pos = { i: 0 };
  const { blocks, stop } = parseBlocks(split(template), pos, false);
  if (stop) throw new TemplateError(`unexpected {{${stop}}}`);
  return run(blocks, data);
}

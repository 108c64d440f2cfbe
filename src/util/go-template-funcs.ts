/**
 * The functions a talhelper template can call: Go `text/template` builtins and the sprig functions people use in
 * talconfig templates, with Go's argument-count checks and sprig's argument order (the piped value comes last).
 */
export type TemplateValue = unknown;

/** A template that cannot be parsed or executed; the message is Go's where we know it. */
export class GoTemplateError extends Error {}

const NO_VALUE = Symbol("no value");

/** Go template truthiness: false, 0, "", nil and empty lists/maps are false. */
export function truthy(v: TemplateValue): boolean {
  if (v === undefined || v === null || v === NO_VALUE || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** Go's `fmt.Print` of one template value. */
export function formatValue(v: TemplateValue): string {
  if (v === NO_VALUE || v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(formatValue).join(" ")}]`;
  if (v instanceof Map) return `map[${[...v].map(([k, x]) => `${formatValue(k)}:${formatValue(x)}`).join(" ")}]`;
  return String(v);
}

type Fn = (...args: TemplateValue[]) => TemplateValue;

/** A function of exactly `n` arguments, as Go checks them before calling. */
function fixed(name: string, n: number, f: Fn): Fn {
  return (...a) => {
    if (a.length !== n) throw new GoTemplateError(`wrong number of args for ${name}: want ${n} got ${a.length}`);
    return f(...a);
  };
}

/** A variadic function with at least `min` arguments. */
function atLeast(name: string, min: number, f: Fn): Fn {
  return (...a) => {
    if (a.length < min)
      throw new GoTemplateError(`wrong number of args for ${name}: want at least ${min} got ${a.length}`);
    return f(...a);
  };
}

const s = formatValue;

function ordered(name: string, test: (c: number) => boolean): Fn {
  return fixed(name, 2, (a, b) => {
    const bothNumbers = typeof a === "number" && typeof b === "number";
    const bothStrings = typeof a === "string" && typeof b === "string";
    if (!bothNumbers && !bothStrings) throw new GoTemplateError(`${name}: incompatible types for comparison`);
    return test(a < b ? -1 : a > b ? 1 : 0);
  });
}

/** Go's `fmt.Sprint`: a space between operands only when neither is a string. */
function sprint(a: TemplateValue[]): string {
  return a.map((v, i) => (i > 0 && typeof v !== "string" && typeof a[i - 1] !== "string" ? " " : "") + s(v)).join("");
}

/** `fmt.Sprintf` for the verbs templates use: %s %d %v %q %%. */
function sprintf(format: TemplateValue, args: TemplateValue[]): string {
  let i = 0;
  return s(format).replace(/%[sdvq%]/g, (m) =>
    m === "%%" ? "%" : m === "%q" ? JSON.stringify(s(args[i++])) : s(args[i++]),
  );
}

export const GO_TEMPLATE_FUNCS: Readonly<Record<string, Fn>> = {
  // Go builtins
  and: atLeast("and", 1, (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1]),
  or: atLeast("or", 1, (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1]),
  not: fixed("not", 1, (a) => !truthy(a)),
  eq: atLeast("eq", 2, (a, ...bs) => bs.some((b) => a === b)),
  ne: fixed("ne", 2, (a, b) => a !== b),
  lt: ordered("lt", (c) => c < 0),
  le: ordered("le", (c) => c <= 0),
  gt: ordered("gt", (c) => c > 0),
  ge: ordered("ge", (c) => c >= 0),
  len: fixed("len", 1, (a) => (Array.isArray(a) ? a.length : a instanceof Map ? a.size : s(a).length)),
  print: (...a) => sprint(a),
  printf: atLeast("printf", 1, (f, ...a) => sprintf(f, a)),
  // sprig
  contains: fixed("contains", 2, (sub, str) => s(str).includes(s(sub))),
  hasPrefix: fixed("hasPrefix", 2, (p, str) => s(str).startsWith(s(p))),
  hasSuffix: fixed("hasSuffix", 2, (p, str) => s(str).endsWith(s(p))),
  trimPrefix: fixed("trimPrefix", 2, (p, str) => (s(str).startsWith(s(p)) ? s(str).slice(s(p).length) : s(str))),
  trimSuffix: fixed("trimSuffix", 2, (p, str) =>
    s(p) !== "" && s(str).endsWith(s(p)) ? s(str).slice(0, -s(p).length) : s(str),
  ),
  lower: fixed("lower", 1, (str) => s(str).toLowerCase()),
  upper: fixed("upper", 1, (str) => s(str).toUpperCase()),
  trim: fixed("trim", 1, (str) => s(str).trim()),
  replace: fixed("replace", 3, (o, n, str) => s(str).split(s(o)).join(s(n))),
  default: atLeast("default", 1, (d, ...given) => (given.length > 0 && truthy(given[0]) ? given[0] : d)),
  quote: (...a) => a.map((x) => JSON.stringify(s(x))).join(" "),
  join: fixed("join", 2, (sep, l) => (Array.isArray(l) ? l.map(s).join(s(sep)) : s(l))),
  toString: fixed("toString", 1, (v) => s(v)),
};

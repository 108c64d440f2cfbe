/**
 * Shell-style variable substitution with talhelper's rules (a8m/envsubst in "restricted" mode: no unset and no
 * empty variables without a default). Hand-written because the npm envsubst packages either shell out, silently
 * keep unknown variables, or lack the `:=`/`:?`/`$$` forms; we also need the offset of each failing reference.
 *
 *   $VAR ${VAR}            value; error when unset or empty
 *   ${VAR-def} ${VAR:-def} def when unset (`:`: or empty); def is itself substituted
 *   ${VAR=def} ${VAR:=def} like `-`, and assigns def to VAR for later references
 *   ${VAR+alt} ${VAR:+alt} alt when set (`:`: and non-empty), else ""
 *   ${VAR?msg} ${VAR:?msg} error with msg when unset (`:`: or empty)
 *   $$                     a literal `$` (so `$$VAR` is the text `$VAR`)
 */

export interface SubstitutionProblem {
  /** The variable name. */
  readonly variable: string;
  /** The reference as written (`${HOST}`), to locate it in the source. */
  readonly reference: string;
  /** Offset of the reference in the input text. */
  readonly offset: number;
  readonly message: string;
}

export interface SubstitutionResult {
  readonly value: string;
  readonly problems: SubstitutionProblem[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Substitutes `text` against `env` (which `=` forms update). Never throws. */
export function substituteEnv(text: string, env: Map<string, string>): SubstitutionResult {
  const problems: SubstitutionProblem[] = [];
  const value = expand(text, 0, env, problems);
  return { value, problems };
}

function expand(text: string, base: number, env: Map<string, string>, problems: SubstitutionProblem[]): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch !== "$") {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < text.length && NAME_CHAR.test(text[j]!)) j++;
      const name = text.slice(i + 1, j);
      out += lookup(name, text.slice(i, j), base + i, env, problems);
      i = j;
      continue;
    }
    if (next === "{") {
      const close = matchingBrace(text, i + 1);
      if (close < 0) {
        problems.push({
          variable: "",
          reference: text.slice(i),
          offset: base + i,
          message: "unterminated ${ (missing })",
        });
        out += text.slice(i);
        break;
      }
      out += expandBraced(text.slice(i, close + 1), base + i, env, problems);
      i = close + 1;
      continue;
    }
    // A lone `$` (end of text, `$1`, `$ `) is literal, as in the shell.
    out += "$";
    i++;
  }
  return out;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let k = open; k < text.length; k++) {
    if (text[k] === "{") depth++;
    else if (text[k] === "}") {
      depth--;
      if (depth === 0) return k;
    }
  }
  return -1;
}

function expandBraced(ref: string, offset: number, env: Map<string, string>, problems: SubstitutionProblem[]): string {
  const inner = ref.slice(2, -1);
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-=+?])([\s\S]*))?$/.exec(inner);
  if (!m) {
    problems.push({ variable: inner, reference: ref, offset, message: `bad substitution ${ref}` });
    return "";
  }
  const name = m[1]!;
  if (m[3] === undefined) return lookup(name, ref, offset, env, problems);
  const colon = m[2] === ":";
  const op = m[3];
  const word = m[4] ?? "";
  const current = env.get(name);
  // With `:` an empty value counts as unset.
  const isSet = current !== undefined && (!colon || current !== "");
  const wordOffset = offset + 2 + name.length + (colon ? 1 : 0) + 1;
  switch (op) {
    case "-":
      return isSet ? current : expand(word, wordOffset, env, problems);
    case "=": {
      if (isSet) return current;
      const def = expand(word, wordOffset, env, problems);
      env.set(name, def);
      return def;
    }
    case "+":
      return isSet ? expand(word, wordOffset, env, problems) : "";
    default: {
      if (isSet) return current;
      const msg = expand(word, wordOffset, env, problems);
      problems.push({
        variable: name,
        reference: ref,
        offset,
        message: `${name}: ${msg || (current === undefined ? "is not set" : "is empty")}`,
      });
      return "";
    }
  }
}

function lookup(
  name: string,
  ref: string,
  offset: number,
  env: Map<string, string>,
  problems: SubstitutionProblem[],
): string {
  const v = env.get(name);
  if (v === undefined) {
    problems.push({ variable: name, reference: ref, offset, message: `environment variable ${name} is not set` });
    return "";
  }
  if (v === "") {
    problems.push({ variable: name, reference: ref, offset, message: `environment variable ${name} is empty` });
    return "";
  }
  return v;
}

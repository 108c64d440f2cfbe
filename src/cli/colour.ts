import pc from "picocolors";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether output to `stream` gets colour: FORCE_COLOR (any value but 0/false) forces it, NO_COLOR (any non-empty
 * value, no-color.org) turns it off, otherwise a TTY that is not TERM=dumb. Piped output is always plain.
 */
export function colourEnabled(env: Env, stream: { readonly isTTY?: boolean }): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "0" && force !== "false") return true;
  if (env.NO_COLOR) return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

/**
 * Colours what talform prints by the words its output already uses (severity labels, hints, health verdicts), so
 * every command gets the same colours without knowing about them. JSON output is left untouched.
 */
export function paint(text: string): string {
  const c = pc.createColors(true);
  if (/^\s*[[{]/.test(text)) return text;
  return text
    .replace(/^(\s*)(error(\[[^\]]*\])?:|ERROR|FAIL\b)/gm, (_, s: string, w: string) => s + c.bold(c.red(w)))
    .replace(/(^|\s)(error\[[^\]]*\]:)/gm, (_, s: string, w: string) => s + c.bold(c.red(w)))
    .replace(/(^|\s)(warning(\[[^\]]*\])?:|WARN\b)/gm, (_, s: string, w: string) => s + c.yellow(w))
    .replace(/^(\s*)(hint:|fix:)/gm, (_, s: string, w: string) => s + c.cyan(w))
    .replace(/^(OK\b)/gm, (w: string) => c.green(w))
    .replace(/^(internal error:)/gm, (w: string) => c.bold(c.magenta(w)));
}

/** A stream whose writes are painted when colour is on for it; the stream itself when not. */
export function colourStream<S extends { write(chunk: string): unknown; readonly isTTY?: boolean }>(
  env: Env,
  stream: S,
): S {
  if (!colourEnabled(env, stream)) return stream;
  return Object.assign(Object.create(stream) as S, { write: (chunk: string) => stream.write(paint(chunk)) });
}

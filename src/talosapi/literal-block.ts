/**
 * Reads a YAML document that is one literal block scalar (`|`, `|-` or `|+` then the text, indented or not) without a
 * YAML parser: that is how a resource whose spec is one string arrives (the simulator's MachineConfig, ~10 KiB each,
 * two per node per plan), and eemeli/yaml's lexer and composer were a tenth of a 200-node plan's CPU time.
 *
 * It accepts only the plain shape and returns undefined for anything else (an indentation indicator, a comment after
 * the header, a line that ends the scalar early, document markers, line breaks or characters YAML normalises or
 * refuses), which the caller then parses as usual. Where it answers, the answer equals `yaml.parse(text)`
 * (literal-block.test.ts checks that on generated documents).
 */
export function literalBlockString(text: string): string | undefined {
  const header = /^\|([+-]?)\n/.exec(text);
  if (!header || UNSAFE.test(text)) return undefined;
  const chomp = header[1];
  const lines = text.slice(header[0].length).split("\n");
  const endsWithBreak = lines.at(-1) === "";
  if (endsWithBreak) lines.pop();
  // The indentation is that of the first non-empty line; empty lines before it must be truly empty (a blank line
  // indented deeper than the text needs an indentation indicator).
  let first = 0;
  while (first < lines.length && lines[first] === "") first++;
  if (first === lines.length) return undefined;
  const indent = /^ */.exec(lines[first]!)![0].length;
  if (lines[first]!.length === indent) return undefined; // only spaces: an indentation indicator's case
  const prefix = " ".repeat(indent);
  const out: string[] = new Array<string>(lines.length);
  let lastContent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(prefix)) {
      // At indentation 0 a `---`/`...` line would end the document.
      if (indent === 0 && (line.startsWith("---") || line.startsWith("..."))) return undefined;
      out[i] = line.slice(indent);
    } else if (/^ *$/.test(line)) out[i] = "";
    else return undefined; // less indented: the scalar ends and something else follows
    if (out[i] !== "") lastContent = i;
  }
  // A last line without a line break that holds only indentation is no line at all.
  if (!endsWithBreak && out.at(-1) === "") out.pop();
  if (chomp === "+") return out.join("\n") + "\n";
  const body = out.slice(0, lastContent + 1).join("\n");
  return chomp === "-" ? body : body + "\n";
}

// Line breaks YAML normalises (CR) or treats as breaks in 1.1 (NEL, LS, PS), characters it does not allow unescaped
// (C0 controls but tab and LF, DEL, C1 controls, U+FFFE/U+FFFF) and the byte order mark.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { literalBlockString } from "./literal-block.js";

// Lines that matter to a block scalar: empty and blank ones, deeper and shallower indentation, document markers,
// comments, YAML indicators, tabs, non-ASCII, and the line breaks and characters YAML treats specially.
const LINES = [
  ...["", " ", "  ", "   ", "\t", " \t", "---", "--- x", "---a", "...", " ...", "# c", "x #c", "%YAML 1.2"],
  ...["x", "  y", "    z", " lead", "a: b", "- item", "  - a", "key: |", "'q'", '"q"', "&a", "*a", "!t", "? k"],
  ...[": v", "{a: 1}", "[1]", "\u00e9t\u00e9", "\r", "x\r", "\u0085", "\u2028", "\ufeff", "\x07", "@", "`"],
];
const text = fc
  .tuple(fc.array(fc.constantFrom(...LINES), { minLength: 1, maxLength: 8 }), fc.constantFrom("", "\n", "\n\n"))
  .map(([lines, end]) => lines.join("\n") + end);

/** yaml.parse's answer, or a marker when it refuses the document. */
function parsed(doc: string): unknown {
  try {
    return parse(doc);
  } catch {
    return Symbol("refused");
  }
}

test("property: a string's YAML (as the simulator serialises a string spec) reads as yaml.parse reads it", () => {
  fc.assert(
    fc.property(text, (s) => {
      const yaml = stringify(s);
      const read = literalBlockString(yaml);
      // yaml's own round trip fails on some blank first lines (" \t" loses its space): the parser is the reference.
      if (read !== undefined) assert.equal(read, parsed(yaml), JSON.stringify(yaml));
    }),
    { numRuns: 20_000 },
  );
});

test("property: where it answers, the answer is yaml.parse's, on any header, indentation and content", () => {
  const doc = fc
    .tuple(
      fc.constantFrom("|\n", "|-\n", "|+\n", "|2\n", "| #c\n", ">\n", ""),
      fc.array(fc.tuple(fc.constantFrom(...LINES), fc.boolean()), { minLength: 1, maxLength: 8 }),
      fc.constantFrom("", " ", "  ", "   "),
      fc.constantFrom("", "\n", "\n\n"),
    )
    .map(([header, lines, indent, end]) => header + lines.map(([l, ind]) => (ind ? indent + l : l)).join("\n") + end);
  fc.assert(
    fc.property(doc, (d) => {
      const read = literalBlockString(d);
      if (read !== undefined) assert.equal(read, parsed(d), JSON.stringify(d));
    }),
    { numRuns: 50_000 },
  );
});

test("a machine config's YAML is read without a parser: one document at column 0, several indented", () => {
  const one = "version: v1alpha1 # comment\nmachine:\n  type: worker\n\n  install:\n    disk: /dev/sda\n";
  const many = `${one}---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: w1\n`;
  for (const t of [one, many, one.trimEnd(), `${one}\n\n`]) {
    const yaml = stringify(t);
    assert.equal(literalBlockString(yaml), t, yaml);
  }
  assert.match(stringify(many), /^\|\n {2}version/);
});

test("other shapes are left to the YAML parser", () => {
  for (const d of ["a: 1\n", '"x"\n', "|2\n  x\n", "| # c\nx\n", "|\n  x\ny\n", "|\nx\n---\ny\n", "|\nx\r\n", "|\n"])
    assert.equal(literalBlockString(d), undefined, JSON.stringify(d));
});

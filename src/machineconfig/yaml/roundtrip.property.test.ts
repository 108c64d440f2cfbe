import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import fc from "fast-check";
import { encodeDocuments, hasIndentationIndicator } from "./encode.js";
import type { YamlMap, YamlNode } from "./node.js";
import { parseYamlDocuments } from "./parse.js";
import { parseConfigDocuments, renderedConfigDocuments } from "../../plan/config-documents.js";

// genconfig checks the documents it rendered instead of re-parsing their text (decodeMachineDocuments); that is only
// sound while the encoder's text parses back to exactly the documents it was given, which these properties pin down.

// Any string except lone surrogates and the two line/paragraph separators (go-yaml writes them raw).
const text = fc
  .string({ unit: "binary", maxLength: 24 })
  .filter(
    (s) => !/[\u2028\u2029]/.test(s) && !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, "")),
  );
// Keys over 128 characters or with line breaks are written as explicit `? key` pairs.
const longText = fc.string({ unit: "grapheme-ascii", minLength: 100, maxLength: 160 });
// Strings that look like other scalars, the cases quoting exists for.
const tricky = fc.constantFrom(
  "yes",
  "no",
  "on",
  "off",
  "true",
  "null",
  "~",
  "0644",
  "0o644",
  "0x1F",
  "1e3",
  "1_000",
  "-1",
  ".inf",
  ".nan",
  "1.28",
  "",
  " ",
  "- x",
  "a: b",
  "#x",
  "---",
  "...",
  "a\nb",
  "a\n",
  "\n",
  " lead\n",
  "trail \n",
  "\t",
  "'q",
  '"q',
  "*a",
  "&a",
  "!t",
  "%x",
  "@x",
  "`x",
  "{",
  "[",
  "?",
  ":",
  "|",
  ">",
  "2001-12-14",
);
const scalar: fc.Arbitrary<YamlNode> = fc.oneof(
  text,
  longText,
  tricky,
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.maxSafeInteger(),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
);
const key = fc.oneof(
  text.filter((k) => k !== ""),
  tricky.filter((k) => k !== ""),
  longText,
);

const { node } = fc.letrec<{ node: YamlNode; map: YamlMap; list: YamlNode[] }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("map"), tie("list")),
  map: fc
    .uniqueArray(fc.tuple(key, tie("node")), { selector: ([k]) => k, maxLength: 5 })
    .map((entries) => new Map(entries)),
  list: fc.array(tie("node"), { maxLength: 4 }),
}));
const document = fc
  .uniqueArray(fc.tuple(key, node), { selector: ([k]) => k, minLength: 1, maxLength: 6 })
  .map((entries): YamlMap => new Map(entries));

/** Order-sensitive form of a node (deepEqual on Maps ignores their order, which is the output order here). */
const ordered = (n: YamlNode): unknown =>
  n instanceof Map
    ? { map: [...n].map(([k, v]) => [k, ordered(v)]) }
    : Array.isArray(n)
      ? { list: (n as readonly YamlNode[]).map(ordered) }
      : n;

describe("machine-config YAML encoder", () => {
  it("parses back to the same documents (types, key order, strings byte for byte)", () => {
    fc.assert(
      fc.property(fc.array(document, { minLength: 1, maxLength: 3 }), (docs) => {
        const text = encodeDocuments(docs);
        fc.pre(!hasIndentationIndicator(text));
        const parsed = parseYamlDocuments(text);
        assert.deepEqual(parsed.errors, []);
        assert.deepEqual(parsed.documents.map(ordered), docs.map(ordered));
      }),
      { numRuns: 400 },
    );
  });

  // plan takes the rendered documents for what the config's text parses to (rememberRenderedConfig).
  it("the plan's reader (eemeli/yaml) reads the text as the documents' plain data", () => {
    fc.assert(
      fc.property(fc.array(document, { minLength: 1, maxLength: 3 }), (docs) => {
        const text = encodeDocuments(docs);
        const plain = renderedConfigDocuments(docs);
        fc.pre(!hasIndentationIndicator(text) && plain !== undefined);
        assert.deepEqual(plain, parseConfigDocuments(text));
      }),
      { numRuns: 400 },
    );
  });
});

test("a literal with an indentation indicator inside a sequence does not read back (go-yaml's own quirk, copied)", () => {
  const text = encodeDocuments([new Map<string, YamlNode>([["files", [new Map([["content", " indented\nline\n"]])]]])]);
  assert.equal(text, "files:\n    - content: |4\n         indented\n        line\n");
  assert.ok(hasIndentationIndicator(text));
  assert.notDeepEqual(parseYamlDocuments(text).errors, []);
});

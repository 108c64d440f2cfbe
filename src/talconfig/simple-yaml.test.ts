import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import YAML, { LineCounter } from "yaml";
import { parseSimpleYaml, simpleToJS } from "./simple-yaml.js";
import { substituteDocument, substituteSimple, unmaskDocument } from "./substitute-yaml.js";
import { BASE_TALCONFIG } from "./testdata/memfs.js";
import { YamlSource, type DocPath } from "./yaml-source.js";

const OPTIONS = { uniqueKeys: true, prettyErrors: false, merge: true } as const;

function paths(data: unknown, prefix: DocPath = []): DocPath[] {
  const out: DocPath[] = [prefix, [...prefix, "nope"], [...prefix, 99]];
  if (Array.isArray(data)) data.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (data !== null && typeof data === "object")
    for (const [k, v] of Object.entries(data)) out.push(...paths(v, [...prefix, k]), [...prefix, k, 0]);
  return out;
}

/** Whenever the simple reader reads a text, the yaml package reads it without errors, to the same data and positions. */
function agrees(text: string): boolean {
  const simple = parseSimpleYaml(text);
  if (!simple) return false;
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { ...OPTIONS, lineCounter: lines });
  assert.deepEqual(doc.errors, [], `yaml reports errors for a text the simple reader read:\n${text}`);
  const data = doc.toJS();
  assert.deepStrictEqual(simpleToJS(simple.root), data, text);
  assert.deepEqual(JSON.stringify(simpleToJS(simple.root)), JSON.stringify(data), text);
  assert.deepEqual(simple.lineStarts, lines.lineStarts, text);
  const fast = new YamlSource("t.yaml", text, { simple: true });
  const slow = new YamlSource("t.yaml", text);
  for (const p of paths(data))
    for (const preferKey of [false, true])
      assert.deepEqual(fast.positionOf(p, preferKey), slow.positionOf(p, preferKey), `${JSON.stringify(p)}\n${text}`);
  return true;
}

/** Substitution on the simple reading gives what it gives on the document (or fails where the document reports). */
function substitutesAlike(text: string, env: Map<string, string>): void {
  const fast = new YamlSource("t.yaml", text, { simple: true });
  if (!fast.simple) return;
  const ok = substituteSimple(fast, env);
  const slow = new YamlSource("t.yaml", text);
  const diagnostics: unknown[] = [];
  unmaskDocument(slow);
  substituteDocument(slow, env, diagnostics as never, new Set());
  if (!ok) {
    assert.ok(diagnostics.length > 0, text);
    return;
  }
  assert.deepEqual(diagnostics, [], text);
  assert.deepStrictEqual(simpleToJS(fast.simple.root), slow.doc.toJS(), text);
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

test("simple YAML: the repository's YAML files read alike (or are left to yaml)", () => {
  const root = new URL("../../", import.meta.url).pathname;
  let read = 0;
  const files = [...yamlFiles(join(root, "examples")), ...yamlFiles(join(root, "src"))];
  for (const f of files) if (agrees(readFileSync(f, "utf8"))) read++;
  assert.ok(agrees(BASE_TALCONFIG));
  assert.ok(read > 0, `none of ${files.length} files was read by the simple reader`);
});

test("simple YAML: hand-written cases", () => {
  const read = [
    "a: 1\n",
    "---\n# c\na: 1\nb:\n  # x\n  c: \"q\" # t\n  d: [x, {y: z}]\ne:\n- f: |-\n    hi\n    there\n\n  g: 'it''s'\n-   h\nk:\n  - 1\n",
    "nodes:\n  - hostname: a\n    labels: {rack: r1}\n    addresses: [10.0.0.1/16]\n    routes: [{network: 0.0.0.0/0, gateway: 10.0.0.1}]\n",
    "patches:\n  - |\n    machine:\n      env:\n        A: b\n\n    # comment in the text\n  - x\n",
    "a: |\n\n  x\n\n# c\nb: 1\n",
    "a: 1.5\nb: 0x10\nc: 007\nd: 0o644\ne: 1e3\nf: +5\ng: 99999999999999999999\n",
    "a: >-\n  {{\n    .X |\n    y\n  }}\nb: >\n\n  x\n  y\n\n  z\n\nc: 1\n",
    "a: -1\nb: true\nc: ~\nd: 'null'\ne: 10.20.0.1\nf: v1.12.0\ng: https://x:6443\n",
    "a: b#c\nd: e # f\n",
    "a:\n  - [ ]\n  - {}\n  - []\n",
  ];
  const left = [
    "a:\n",
    "a: &x 1\nb: *x\n",
    "a: 1\na: 2\n",
    "a: .inf\n",
    "a: |2\n  x\n",
    "a: |\n  x",
    "a: |\n\n  x\n b\n",
    "a: b\n  c\n",
    '"a": 1\n',
    "a: [1,\n  2]\n",
    "a: 'x\n  y'\n",
    'a: "x\\ty"\n',
    "a:\tb\n",
    "<<: {a: 1}\n",
    "a: b: c\n",
    "- a\n",
    "a: 1\n- b\n",
    "a:\n  - b\n   c: d\n",
    "1: a\n",
    "true: a\n",
    "a: [b, ]\n",
    "a: {b}\n",
    "a: !!str 1\n",
  ];
  for (const t of read) assert.ok(agrees(t), `not read: ${JSON.stringify(t)}`);
  for (const t of left) {
    assert.equal(parseSimpleYaml(t), undefined, `read: ${JSON.stringify(t)}`);
  }
});

function valueOf(keys: readonly string[], strings: fc.Arbitrary<string>): fc.Arbitrary<Record<string, unknown>> {
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      strings,
      fc.integer({ min: -1000, max: 1000 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom(...keys), tie("value"), { maxKeys: 3 }),
    ),
  })).value;
  return fc.dictionary(fc.constantFrom(...keys), value, { minKeys: 1, maxKeys: 4 });
}

// Talconfig-like documents, mostly within the simple subset …
const PLAIN_KEYS = ["a", "b", "hostname", "node-role.kubernetes.io/worker", "x_y", "ipAddress", "k8s"];
const PLAIN_STRINGS = fc.constantFrom(
  "x",
  "a b",
  "10.0.0.1",
  "10.0.0.0/16",
  "v1.12.0",
  "https://10.0.0.1:6443",
  "${X}",
  "$Y",
  "${Z:-d}",
  "x-${X}-y",
  "/dev/sda",
  "it's",
  "machine:\n  env:\n    A: b\n",
  "a\n\nb\n",
  "a b c\nd\n",
  "x\n\n\ny",
  "\n\nx\n\n",
  "a\n  b\nc\n",
  "a\n\n  b\n\nc",
  "  a\nb\n\n\n  c\n",
  "0o644",
  "1.5",
  "1e3",
  "0x1F",
);
// … and anything.
const KEYS = [...PLAIN_KEYS, "1", "true", "a b", "$k", "null", "<<", "__proto__"];
const STRINGS = fc.oneof(
  PLAIN_STRINGS,
  fc.constantFrom("", " ", "1", "-1", "1.5", "true", "null", "~", "a: b", "a #b", "#", "'", '"', "[x]", "{x}"),
  fc.constantFrom("- x", "x\ny", "x\n", "\n", " x", "x ", "a\\b", "*a", "x\n  ", "\n\nx\n\n"),
  fc.string({ maxLength: 8 }),
);
const STYLE = fc.record({
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
  collectionStyle: fc.constantFrom("any", "block", "flow"),
  defaultStringType: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE", "BLOCK_LITERAL", "BLOCK_FOLDED"),
  defaultKeyType: fc.constantFrom(null, "PLAIN"),
  flowCollectionPadding: fc.boolean(),
});
const TOKENS = [
  "\n",
  " ",
  "  ",
  "- ",
  ": ",
  "#",
  " # c",
  "|",
  "|-",
  "[",
  "]",
  "{",
  "}",
  ",",
  "'",
  '"',
  "---\n",
  "&a ",
  "*a",
];
const ENV = new Map([
  ["X", "1"],
  ["Y", "a b"],
]);

test("simple YAML: generated talconfig-like documents read alike", () => {
  let read = 0;
  let runs = 0;
  fc.assert(
    fc.property(valueOf(PLAIN_KEYS, PLAIN_STRINGS), STYLE, (data, style) => {
      const text = YAML.stringify(data, { ...style, defaultKeyType: "PLAIN" } as YAML.ToStringOptions);
      runs++;
      if (agrees(text)) read++;
      substitutesAlike(text, ENV);
    }),
    { numRuns: 2000 },
  );
  // The property says something only if the simple reader reads a good share of the documents.
  assert.ok(read > runs / 4, `the simple reader read ${read} of ${runs} generated documents`);
});

test("simple YAML: generated and edited documents read alike (or are left to yaml)", () => {
  fc.assert(
    fc.property(
      valueOf(KEYS, STRINGS),
      STYLE,
      fc.array(fc.tuple(fc.nat(), fc.constantFrom(...TOKENS)), { maxLength: 2 }),
      (data, style, edits) => {
        let text = YAML.stringify(data, style as YAML.ToStringOptions);
        for (const [at, token] of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + token + text.slice(i);
        }
        agrees(text);
        substitutesAlike(text, ENV);
      },
    ),
    { numRuns: 3000 },
  );
});

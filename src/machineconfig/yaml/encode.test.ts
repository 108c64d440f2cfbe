import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeDocuments, formatScalar } from "./encode.js";
import { goKeyLess, goMap, struct } from "./node.js";

test("formatScalar quotes exactly what go-yaml quotes", () => {
  const table: [string | number | boolean | null, string][] = [
    ["plain", "plain"],
    ["", '""'],
    ["true", '"true"'],
    ["yes", "'yes'"],
    ["Off", "'Off'"],
    ["y", "'y'"],
    ["<<", "'<<'"],
    ["null", '"null"'],
    ["~", '"~"'],
    ["1.28", '"1.28"'],
    ["0755", '"0755"'],
    ["0x1F", '"0x1F"'],
    ["1e3", '"1e3"'],
    ["1:20", "'1:20'"],
    ["+1", '"+1"'],
    ["1.", '"1."'],
    ["inf", "inf"],
    ["NaN", "NaN"],
    ["a:b", "a:b"],
    ["?x", "?x"],
    ["-x", "-x"],
    ["-1", '"-1"'],
    ["---", "'---'"],
    ["#x", "'#x'"],
    ["\u0007", '"\\a"'],
    ["2001-12-14", '"2001-12-14"'],
    ["v1.28.0", "v1.28.0"],
    ["168h0m0s", "168h0m0s"],
    ["*", "'*'"],
    ["- x", "'- x'"],
    ["a: b", "'a: b'"],
    ["a #b", "'a #b'"],
    ["a#b", "a#b"],
    ["it's", "it's"],
    ["'q", "'''q'"],
    [" lead", "' lead'"],
    ["trail ", "'trail '"],
    ['disk.dev_path == "/dev/vda"', 'disk.dev_path == "/dev/vda"'],
    ["tab\there", '"tab\\there"'],
    [
      "node.kubernetes.io/exclude-from-external-load-balancers",
      "node.kubernetes.io/exclude-from-external-load-balancers",
    ],
    [7445, "7445"],
    [false, "false"],
    [null, "null"],
  ];
  for (const [input, want] of table) assert.equal(formatScalar(input), want, JSON.stringify(input));
});

test("go-yaml key order: other characters before letters, digit runs numerically", () => {
  const sorted = ["b10", "a", "audit-version", "b2", "audit", "_x", "A"].sort((x, y) =>
    goKeyLess(x, y) ? -1 : goKeyLess(y, x) ? 1 : 0,
  );
  assert.deepEqual(sorted, ["_x", "A", "a", "audit", "audit-version", "b2", "b10"]);
});

test("block layout: 4-space maps, sequences under keys, sequence-item maps and literals", () => {
  const docs = [
    struct([
      ["version", "v1alpha1"],
      [
        "machine",
        struct([
          ["certSANs", []],
          ["network", new Map()],
          ["list", ["a", "b"]],
        ]),
      ],
      [
        "items",
        [
          struct([
            ["name", "x"],
            ["configuration", goMap({ nested: goMap({ deep: 1 }), seq: ["s"] })],
          ]),
        ],
      ],
      ["pem", "line1\nline2\n"],
      ["pems", ["one\n"]],
      ["noTrailing", "a\nb"],
    ]),
    struct([
      ["apiVersion", "v1alpha1"],
      ["kind", "HostnameConfig"],
      ["auto", "stable"],
    ]),
  ];
  const want = [
    "version: v1alpha1",
    "machine:",
    "    certSANs: []",
    "    network: {}",
    "    list:",
    "        - a",
    "        - b",
    "items:",
    "    - name: x",
    "      configuration:",
    "        nested:",
    "            deep: 1",
    "        seq:",
    "            - s",
    "pem: |",
    "    line1",
    "    line2",
    "pems:",
    "    - |",
    "      one",
    "noTrailing: |-",
    "    a",
    "    b",
    "---",
    "apiVersion: v1alpha1",
    "kind: HostnameConfig",
    "auto: stable",
    "",
  ].join("\n");
  assert.equal(encodeDocuments(docs), want);
});

test("multi-line strings: trailing spaces force double quotes, leading spaces an indentation indicator", () => {
  assert.equal(encodeDocuments([struct([["k", "a \nb"]])]), 'k: "a \\nb"\n');
  assert.equal(encodeDocuments([struct([["k", [" lead\n"]]])]), "k:\n    - |4\n       lead\n");
  assert.equal(encodeDocuments([struct([["k", "\nx\n"]])]), "k: |\n\n    x\n");
  assert.equal(encodeDocuments([struct([["k", "x\n\n"]])]), "k: |+\n    x\n\n");
  assert.equal(encodeDocuments([struct([["k", "tab\tx\ny\n"]])]), "k: |\n    tab\tx\n    y\n");
});

test("keys with line breaks become explicit ? / : pairs, as go-yaml writes them", () => {
  assert.equal(encodeDocuments([goMap({ "a\nb": 1 })]), "? |-\n    a\n    b\n: 1\n");
  assert.equal(encodeDocuments([goMap({ "x\r": goMap({ c: 1 }) })]), '? "x\\r"\n:   c: 1\n');
  assert.equal(
    encodeDocuments([goMap({ k: goMap({ "x\ny\n": ["a"] }) })]),
    "k:\n    ? |\n        x\n        y\n    :   - a\n",
  );
});

test("astral characters, whitespace-only and number-like strings", () => {
  const table: [string, string][] = [
    ["😀", '"\\U0001F600"'],
    ["-_0", '"-_0"'],
    ["1_000", '"1_000"'],
    ["089", '"089"'],
    ["\n", '"\\n"'],
    [" \n", '" \\n"'],
    ["\t\n", '"\\t\\n"'],
  ];
  for (const [input, want] of table)
    assert.equal(encodeDocuments([struct([["k", input]])]), `k: ${want}\n`, JSON.stringify(input));
});

test("plain scalars resolve as go-yaml resolves them", async () => {
  const { resolvePlain } = await import("./parse.js");
  const table: [string, unknown][] = [
    ["0644", 420],
    ["0o644", 420],
    ["1_000", 1000],
    ["0x1F", 31],
    ["0b11", 3],
    ["1e3", 1000],
    [".5", 0.5],
    ["yes", "yes"],
    ["True", true],
    ["~", null],
    ["1e400", "1e400"],
    ["v1.2", "v1.2"],
    ["10.0.0.1", "10.0.0.1"],
  ];
  for (const [src, want] of table) assert.equal(resolvePlain(src), want, src);
});

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { TalformError } from "../diagnostics/index.js";
import { inlineScalar, resolvesToNonString } from "./go-yaml-emitter.js";
import {
  canonicalSchematicYaml,
  EMPTY_SCHEMATIC_ID,
  goFloatText,
  goKeyLess,
  parseSchematic,
  schematicFromValue,
  schematicId,
  type Schematic,
} from "./schematic.js";

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

describe("canonicalSchematicYaml / schematicId", () => {
  // input (YAML/JSON as a user writes it) → the exact bytes go-yaml v4 writes for the factory's struct.
  const table: [name: string, input: string, canonical: string][] = [
    ["empty document", "", "customization: {}\n"],
    ["empty object", "{}", "customization: {}\n"],
    [
      "empty lists and structs are omitted",
      "customization: {extraKernelArgs: [], meta: [], systemExtensions: {officialExtensions: []}, secureboot: {}, diskImage: {sectorSize: 0}, bootloader: none}",
      "customization: {}\n",
    ],
    [
      "extensions keep their order (not sorted)",
      "customization:\n  systemExtensions:\n    officialExtensions: [siderolabs/zfs, siderolabs/amd-ucode, siderolabs/zfs]\n",
      "customization:\n    systemExtensions:\n        officialExtensions:\n            - siderolabs/zfs\n            - siderolabs/amd-ucode\n            - siderolabs/zfs\n",
    ],
    [
      "struct order, not input order",
      "customization:\n  bootloader: sd-boot\n  systemExtensions: {officialExtensions: [siderolabs/iscsi-tools]}\n  extraKernelArgs: [a]\noverlay: {name: nm, image: i}\n",
      "overlay:\n    image: i\n    name: nm\ncustomization:\n    extraKernelArgs:\n        - a\n    systemExtensions:\n        officialExtensions:\n            - siderolabs/iscsi-tools\n    bootloader: sd-boot\n",
    ],
    [
      'overlay with only a name keeps image: ""',
      "overlay: {name: rpi}",
      'overlay:\n    image: ""\n    name: rpi\ncustomization: {}\n',
    ],
    [
      "meta key 0xa is 10",
      "customization: {meta: [{key: 0xa, value: x}]}",
      "customization:\n    meta:\n        - key: 10\n          value: x\n",
    ],
    [
      "meta empty value is kept",
      'customization: {meta: [{key: 0, value: ""}]}',
      'customization:\n    meta:\n        - key: 0\n          value: ""\n',
    ],
    [
      "secureboot enrollKeys only",
      "customization: {secureboot: {enrollKeys: if-safe, includeWellKnownCertificates: no}}",
      "customization:\n    secureboot:\n        enrollKeys: if-safe\n",
    ],
    [
      "numbers/bools/null as kernel args are quoted as go-yaml does",
      'customization: {extraKernelArgs: ["1", "017", "0o17", "0b11", "1_000", "08", "1e5", ".5", "-0", "+.inf", ".nan", "True", "NULL", "2024-02-29", "2023-02-29", "2024-1-2 3:04:05", "0x", "1.2.3"]}',
      'customization:\n    extraKernelArgs:\n        - "1"\n        - "017"\n        - "0o17"\n        - "0b11"\n        - "1_000"\n        - "08"\n        - "1e5"\n        - ".5"\n        - "-0"\n        - "+.inf"\n        - ".nan"\n        - "True"\n        - "NULL"\n        - "2024-02-29"\n        - 2023-02-29\n        - "2024-1-2 3:04:05"\n        - 0x\n        - 1.2.3\n',
    ],
    [
      "YAML 1.1 booleans, base-60 and << are single-quoted (go-yaml v4)",
      'customization: {extraKernelArgs: ["yes", "Off", "y", "N", "190:20:30", "<<", "yess"]}',
      "customization:\n    extraKernelArgs:\n        - 'yes'\n        - 'Off'\n        - 'y'\n        - 'N'\n        - '190:20:30'\n        - '<<'\n        - yess\n",
    ],
    [
      "indicators, spaces, colons and #",
      `customization: {extraKernelArgs: ["a b", " x", "x ", "k: v", "k:v", "a#b", "a #b", "#c", "---x", "--x", "...", "it's", "'q'", "\\"dq", "?", "-", "- x", "x,y", "[x", "x]", "{", "!x", "%", "@", "\`"]}`,
      "customization:\n    extraKernelArgs:\n        - a b\n        - ' x'\n        - 'x '\n        - 'k: v'\n        - k:v\n        - a#b\n        - 'a #b'\n        - '#c'\n        - '---x'\n        - --x\n        - '...'\n        - it's\n        - '''q'''\n        - '\"dq'\n        - '?'\n        - '-'\n        - '- x'\n        - x,y\n        - '[x'\n        - x]\n        - '{'\n        - '!x'\n        - '%'\n        - '@'\n        - '`'\n",
    ],
    [
      "unicode, control characters and astral code points",
      'customization: {extraKernelArgs: ["grüße", "日本", "tab\\tx", "bell\\u0007", "nbsp\\u00a0x", "nel\\u0085x", "bom\\ufeffx", "emoji😀", "c1\\u0080"]}',
      'customization:\n    extraKernelArgs:\n        - grüße\n        - 日本\n        - "tab\\tx"\n        - "bell\\a"\n        - nbsp\u00a0x\n        - "nel\\Nx"\n        - "bom\\uFEFFx"\n        - "emoji\\U0001F600"\n        - "c1\\x80"\n',
    ],
    [
      "multi-line values: chomping, indentation hint, tabs, spaces before breaks",
      'customization: {embeddedMachineConfiguration: "a: 1\\n\\tb\\n", meta: [{key: 1, value: "x\\n"}, {key: 2, value: "  x\\ny"}, {key: 3, value: "x\\n\\n\\n"}, {key: 4, value: "x \\ny"}, {key: 5, value: "\\n"}, {key: 6, value: " \\n "}]}',
      'customization:\n    embeddedMachineConfiguration: |\n        a: 1\n        \tb\n    meta:\n        - key: 1\n          value: |\n            x\n        - key: 2\n          value: |4-\n              x\n            y\n        - key: 3\n          value: |+\n            x\n\n\n        - key: 4\n          value: "x \\ny"\n        - key: 5\n          value: "\\n"\n        - key: 6\n          value: " \\n "\n',
    ],
    [
      "overlay options: natural key order, nested values, go float formatting",
      'overlay: {image: i, name: nm, options: {b10: 1, b9: 2, "x": 1.0, big: 1000000.0, small: 0.00001, neg: -7, s: "yes", e: [], m: {}, z: null, "1": t, list: [{k: v, a: [1]}]}}',
      "overlay:\n    image: i\n    name: nm\n    options:\n        \"1\": t\n        b9: 2\n        b10: 1\n        big: 1e+06\n        e: []\n        list:\n            - a:\n                - 1\n              k: v\n        m: {}\n        neg: -7\n        s: 'yes'\n        small: 1e-05\n        x: 1\n        z: null\ncustomization: {}\n",
    ],
    [
      "literal blocks inside a sequence item and with a leading newline (no indentation hint, as current go-yaml)",
      'customization: {extraKernelArgs: ["a\\nb"], meta: [{key: 9, value: "\\nx\\n"}]}',
      "customization:\n    extraKernelArgs:\n        - |-\n          a\n          b\n    meta:\n        - key: 9\n          value: |\n\n            x\n",
    ],
    [
      "owner comes first",
      "owner: bob\ncustomization: {extraKernelArgs: [x]}",
      "owner: bob\ncustomization:\n    extraKernelArgs:\n        - x\n",
    ],
  ];
  for (const [name, input, canonical] of table) {
    it(name, () => {
      const s = parseSchematic(input);
      assert.equal(canonicalSchematicYaml(s), canonical);
      assert.equal(schematicId(s), sha(canonical));
    });
  }

  it("known IDs", () => {
    assert.equal(schematicId({}), EMPTY_SCHEMATIC_ID);
    assert.equal(
      schematicId(parseSchematic("customization:\n  extraKernelArgs: [net.ifnames=0]\n")),
      "6905bc709e5947573a4ec2d11723b58882936d3d0e15c708f7d78f0c689684a5",
    );
    const withExts: Schematic = {
      customization: { systemExtensions: { officialExtensions: ["siderolabs/drbd", "siderolabs/zfs"] } },
    };
    assert.equal(schematicId(withExts), "98442b5bb4e8d050f30978ce3e6ec22e7bf534d57cafcd51313235128057e612");
  });

  it("schematicFromValue decodes plain values strictly", () => {
    assert.equal(
      schematicId(schematicFromValue({ customization: { extraKernelArgs: ["net.ifnames=0"] } })),
      "6905bc709e5947573a4ec2d11723b58882936d3d0e15c708f7d78f0c689684a5",
    );
    assert.deepEqual(
      schematicFromValue({ customization: { extraKernelArgs: ["null", "yes"] } }).customization?.extraKernelArgs,
      ["null", "yes"],
    );
    assert.deepEqual(schematicFromValue(undefined), {});
    assert.throws(() => schematicFromValue({ customization: { extension: [] } }), TalformError);
  });
  it("unpaired surrogates are refused, not mis-hashed", () => {
    assert.throws(() => canonicalSchematicYaml({ customization: { extraKernelArgs: ["\ud800"] } }), TalformError);
  });
  it("an overlay option named __proto__ stays an option (it is hashed like any other key)", () => {
    const s = parseSchematic('overlay: {image: i, name: n, options: {"__proto__": {a: 1}, b: 2}}\n');
    assert.deepEqual(Object.keys(s.overlay!.options!), ["__proto__", "b"]);
    assert.match(canonicalSchematicYaml(s), /\n {8}__proto__:\n {12}a: 1\n/);
    assert.notEqual(schematicId(s), schematicId(parseSchematic("overlay: {image: i, name: n, options: {b: 2}}\n")));
  });
  it("scalars decode into string fields by their text", () => {
    const s = parseSchematic("customization:\n  extraKernelArgs: [1.0, true, ~, 0x1F]\n");
    assert.deepEqual(s.customization?.extraKernelArgs, ["1.0", "true", "", "0x1F"]);
  });
});

describe("parseSchematic is strict", () => {
  const bad: [string, string, RegExp][] = [
    ["unknown top-level field", "customisation: {}", /unknown field "customisation"/],
    ["unknown nested field", "customization: {systemExtension: {}}", /unknown field "systemExtension"/],
    ["wrong type", "customization: {extraKernelArgs: quiet}", /extraKernelArgs: expected a list/],
    [
      "meta key out of range",
      "customization: {meta: [{key: 256, value: x}]}",
      /meta\[0\]\.key: expected an integer from 0 to 255/,
    ],
    ["quoted meta key", 'customization: {meta: [{key: "1", value: x}]}', /expected an integer/],
    ["unknown bootloader", "customization: {bootloader: lilo}", /unknown bootloader "lilo"/],
    ["bad bool", "customization: {secureboot: {includeWellKnownCertificates: maybe}}", /expected true or false/],
    ["duplicate keys", "customization: {}\ncustomization: {}", /./],
    ["two documents", "a: 1\n---\nb: 2\n", /one YAML document/],
    ["options not a map", "overlay: {image: i, name: n, options: [1]}", /overlay\.options: expected a mapping/],
  ];
  for (const [name, text, re] of bad) {
    it(name, () => {
      assert.throws(
        () => parseSchematic(text, "s.yaml"),
        (e: unknown) => e instanceof TalformError && re.test(e.message),
      );
    });
  }
});

describe("go-yaml helpers", () => {
  it("goFloatText matches strconv.FormatFloat(f, 'g', -1, 64)", () => {
    const cases: [number, string][] = [
      [1, "1"],
      [1.5, "1.5"],
      [100000, "100000"],
      [1e6, "1e+06"],
      [1.25e21, "1.25e+21"],
      [0.0001, "0.0001"],
      [0.00001, "1e-05"],
      [-2.5e-7, "-2.5e-07"],
      [1e100, "1e+100"],
      [-0, "-0"],
      [Infinity, ".inf"],
      [NaN, ".nan"],
    ];
    for (const [f, text] of cases) assert.equal(goFloatText(f), text, String(f));
  });
  it("goKeyLess sorts naturally", () => {
    const keys = ["b10", "a", "b9", "B", "_x", "a1", "a01", "1", "10", "9"];
    const sorted = [...keys].sort((x, y) => (goKeyLess(x, y) ? -1 : goKeyLess(y, x) ? 1 : 0));
    assert.deepEqual(sorted, ["_x", "1", "9", "10", "B", "a", "a1", "a01", "b9", "b10"]);
  });
  it("goKeyLess uses Go's Unicode 15 letters, not the JavaScript engine's", () => {
    // U+134A0 became a letter in Unicode 16; for Go 1.26 it is not, so it sorts before letters.
    assert.ok(goKeyLess("\u{134A0}", "yes"));
    assert.ok(goKeyLess("yes", "\u00e9"));
    assert.ok(goKeyLess("a\u0663", "a\u0664")); // Arabic-Indic digits compare numerically
  });
  it("resolvesToNonString", () => {
    for (const s of [
      "",
      "~",
      "null",
      "1",
      "-1",
      "0x1f",
      "0o7",
      "017",
      "1.5",
      ".5",
      "1e3",
      "true",
      "FALSE",
      ".inf",
      "-.Inf",
      "2001-12-14",
      "2001-12-14t21:59:43.10Z",
      "<<",
      "1__",
    ])
      assert.ok(resolvesToNonString(s), s);
    for (const s of ["yes", "nul", "0x", "1.2.3", "1:20", "2001-13-01", "abc", "-", "+", ".", "..5", "0b2"])
      assert.ok(!resolvesToNonString(s), s);
  });
  it("map keys that are not plain are quoted", () => {
    assert.equal(inlineScalar("a\nb", true), '"a\\nb"');
    assert.equal(inlineScalar("", true), '""');
  });
});

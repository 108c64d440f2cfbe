import { test } from "node:test";
import assert from "node:assert/strict";
import { contractFor } from "../../contract/index.js";
import { encodeDocuments } from "../yaml/encode.js";
import type { YamlMap } from "../yaml/node.js";
import { parseYamlDocuments } from "../yaml/parse.js";
import { applyConfigPatches, parseConfigPatch } from "./index.js";

const docs = (text: string) => parseYamlDocuments(text).documents as YamlMap[];
const apply = (config: string, ...patches: string[]) =>
  encodeDocuments(
    applyConfigPatches(
      docs(config),
      patches.map((p) => parseConfigPatch(p)),
    ),
  );

const BASE = `version: v1alpha1
machine:
    type: worker
    token: t
    certSANs:
        - a
    nodeLabels:
        zone: a
cluster:
    network:
        podSubnets:
            - 10.244.0.0/16
---
apiVersion: v1alpha1
kind: HostnameConfig
auto: stable
`;

test("lists append, replace-tagged lists are replaced, maps merge, output in Go field order", () => {
  const out = apply(
    BASE,
    "machine:\n  nodeLabels: {rack: r1}\n  certSANs: [b]\n  kubelet: {extraArgs: {v: '2'}, image: img}\ncluster:\n  network:\n    podSubnets: [10.0.0.0/8]\n",
  );
  assert.match(out, /certSANs:\n {8}- a\n {8}- b\n/);
  assert.match(out, /kubelet:\n {8}image: img\n {8}extraArgs:\n {12}v: "2"\n/);
  assert.match(out, /nodeLabels:\n {8}rack: r1\n {8}zone: a\n/);
  assert.match(out, /podSubnets:\n {12}- 10.0.0.0\/8\n {8}serviceSubnets: \[\]\n/);
});

test("zero values never override, booleans always do", () => {
  const out = apply(
    "version: v1alpha1\nmachine:\n  type: worker\n  token: keep\n  features: {rbac: true}\n",
    "machine:\n  token: ''\n  features: {rbac: false}\n",
  );
  assert.match(out, /token: keep\n/);
  assert.match(out, /rbac: false\n/);
});

test("documents: matched by kind and name, appended otherwise, deleted with $patch: delete", () => {
  const out = apply(
    BASE,
    "apiVersion: v1alpha1\nkind: HostnameConfig\n$patch: delete\n---\napiVersion: v1alpha1\nkind: LinkConfig\nname: eth0\nmtu: 9000\nup: true\n",
  );
  assert.ok(!out.includes("HostnameConfig"));
  assert.match(out, /kind: LinkConfig\nname: eth0\nup: true\nmtu: 9000\n$/);
});

test("$patch: delete removes keys and selected list items before the rest of the patch merges", () => {
  const config =
    "version: v1alpha1\nmachine:\n  type: worker\n  token: t\n  network:\n    interfaces:\n      - interface: eth0\n        dhcp: true\n      - interface: eth1\n        mtu: 1500\n";
  const out = apply(
    config,
    "machine:\n  network:\n    interfaces:\n      - interface: eth0\n        $patch: delete\n      - interface: eth1\n        mtu: 9000\n      - interface: eth0\n        dhcp: false\n",
  );
  assert.match(out, /interfaces:\n {12}- interface: eth1\n {14}mtu: 9000\n {12}- interface: eth0\n {14}dhcp: false\n/);
  assert.throws(() => apply(config, "machine:\n  network:\n    hostname:\n      $patch: delete\n"), /lookup failed/);
  assert.throws(() => apply(config, "version: v1alpha1\n$patch: delete\n"), /root of the legacy document/);
});

test("JSON6902: applies to single-document configs, refused on multi-document ones with the fix in the hint", () => {
  const single = "version: v1alpha1\nmachine:\n  type: worker\n  token: t\n";
  assert.match(
    apply(single, '[{"op": "add", "path": "/machine/sysctls", "value": {"a.b": "1"}}]'),
    /sysctls:\n {8}a.b: "1"\n/,
  );
  assert.throws(
    () => applyConfigPatches(docs(BASE), [parseConfigPatch("- op: remove\n  path: /machine/nodeLabels\n")]),
    (e: Error & { hint?: string; diagnostics?: { hint?: string }[] }) => /multi-document/.test(e.message),
  );
  assert.equal(parseConfigPatch("").type, "json6902");
});

test("machinery version decides Talos's encoding of an empty cluster.controlPlane", () => {
  const config = docs("version: v1alpha1\nmachine: {type: worker, token: t}\ncluster: {token: x}\n");
  const patch = [parseConfigPatch("machine: {certSANs: [a]}\n")];
  assert.match(
    encodeDocuments(applyConfigPatches(config, patch, { machinery: contractFor("v1.13")! })),
    /controlPlane: null/,
  );
  assert.doesNotMatch(
    encodeDocuments(applyConfigPatches(config, patch, { machinery: contractFor("v1.14")! })),
    /controlPlane/,
  );
});

test("loadConfigPatches: @file, bare file names and inline text; consecutive JSON patches concatenate", async () => {
  const { loadConfigPatches } = await import("./index.js");
  const files: Record<string, string> = {
    "a.yaml": "machine:\n  certSANs: [x]\n",
    "j1.yaml": "- op: add\n  path: /machine/env\n  value: {}\n",
    "j2.json": '[{"op": "add", "path": "/machine/env/A", "value": "1"}]',
  };
  const read = (p: string) => {
    const text = files[p];
    if (text === undefined) throw new Error(`no such file ${p}`);
    return text;
  };
  const patches = loadConfigPatches(
    ["@a.yaml", "j1.yaml", "@j2.json", '[{"op": "remove", "path": "/machine/env/A"}]', "machine:\n  certSANs: [y]\n"],
    read,
  );
  assert.deepEqual(
    patches.map((p) => p.type),
    ["strategic", "json6902", "strategic"],
  );
  assert.equal(patches[1]!.type === "json6902" ? patches[1]!.operations.length : 0, 3);
});

test("the same document twice in one patch: rejected by ≤ 1.13 machinery, applied in order by 1.14", () => {
  const patch = [parseConfigPatch("machine:\n  certSANs: [a]\n---\nmachine:\n  certSANs: [b]\n")];
  const config = docs("version: v1alpha1\nmachine: {type: worker, token: t}\n");
  assert.throws(
    () => applyConfigPatches(config, patch, { machinery: contractFor("v1.13")! }),
    /appears twice in one patch/,
  );
  assert.match(
    encodeDocuments(applyConfigPatches(config, patch, { machinery: contractFor("v1.14")! })),
    /certSANs:\n {8}- a\n {8}- b\n/,
  );
});

test("JSON6902 operations: add (index and -), remove, replace, move, copy, test", async () => {
  const { applyJsonPatch, toJsonPatch } = await import("./json6902.js");
  const [doc] = docs("a: [1, 2]\nb: {c: x}\n");
  const ops = toJsonPatch(
    parseYamlDocuments(
      "- {op: add, path: /a/0, value: 0}\n- {op: add, path: /a/-, value: 3}\n- {op: replace, path: /b/c, value: y}\n- {op: copy, from: /b, path: /d}\n- {op: move, from: /a/3, path: /e}\n- {op: remove, path: /b}\n- {op: test, path: /d/c, value: y}\n",
    ).documents[0]!,
  );
  assert.equal(
    encodeDocuments([applyJsonPatch(doc!, ops) as YamlMap]),
    "a:\n    - 0\n    - 1\n    - 2\nd:\n    c: 'y'\ne: 3\n",
  );
  assert.throws(
    () => applyJsonPatch(doc!, toJsonPatch(parseYamlDocuments("- {op: test, path: /b/c, value: z}\n").documents[0]!)),
    /test \/b\/c failed/,
  );
  assert.throws(
    () => applyJsonPatch(doc!, toJsonPatch(parseYamlDocuments("- {op: remove, path: /nope}\n").documents[0]!)),
    /no key "nope" to remove/,
  );
});

// Talos's configpatcher (evanphx/json-patch v4) where it differs from a strict RFC 6902 reading; each row was checked
// with `talos-oracle patch` (conformance/machineconfig-json6902.test.ts runs the full table against it).
const TALOS_JSON_PATCH: [string, string, string | RegExp][] = [
  [
    "replace of a missing key adds it",
    "- {op: replace, path: /b/z, value: 1}",
    "a:\n    - 1\n    - 2\nb:\n    c: x\n    z: 1\n",
  ],
  ["replace under a missing parent fails", "- {op: replace, path: /q/z, value: 1}", /no \/q to replace into/],
  ["a negative index counts from the end", "- {op: remove, path: /a/-1}", "a:\n    - 1\nb:\n    c: x\n"],
  ["add at -1 appends", "- {op: add, path: /a/-1, value: 3}", "a:\n    - 1\n    - 2\n    - 3\nb:\n    c: x\n"],
  ["replace of - fails", "- {op: replace, path: /a/-, value: 3}", /"-" is not a list index/],
  [
    "copy of a missing key copies null",
    "- {op: copy, from: /b/z, path: /d}",
    "a:\n    - 1\n    - 2\nb:\n    c: x\nd: null\n",
  ],
  ["test of a missing key without a value passes", "- {op: test, path: /b/z}", "a:\n    - 1\n    - 2\nb:\n    c: x\n"],
  ["remove past the end fails", "- {op: remove, path: /a/2}", /list index 2 is out of range/],
];

for (const [name, patch, expected] of TALOS_JSON_PATCH) {
  test(`JSON6902 as Talos applies it: ${name}`, async () => {
    const { applyJsonPatch, toJsonPatch } = await import("./json6902.js");
    const [doc] = docs("a: [1, 2]\nb: {c: x}\n");
    const run = () =>
      encodeDocuments([applyJsonPatch(doc!, toJsonPatch(parseYamlDocuments(patch).documents[0]!)) as YamlMap]);
    if (typeof expected === "string") assert.equal(run(), expected);
    else assert.throws(run, expected);
  });
}

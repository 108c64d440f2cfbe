// Talos's decode → encode round trip on small documents of our own: input YAML → the bytes Talos writes for it
// (each expected text was checked with `talos-oracle encode`, machinery v1.14.1).
import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalize } from "./canonical.js";
import { documentShape } from "./shape.js";
import { encodeDocument } from "../yaml/encode.js";
import { parseYamlDocuments } from "../yaml/parse.js";
import type { YamlMap } from "../yaml/node.js";

function reencode(yaml: string): string {
  const doc = parseYamlDocuments(yaml).documents[0] as YamlMap;
  const kind = typeof doc.get("kind") === "string" ? (doc.get("kind") as string) : "v1alpha1";
  return encodeDocument(canonicalize(doc, documentShape(kind)!) as YamlMap);
}

const CASES: { name: string; input: string; contains: string }[] = [
  {
    name: "a number in a string map (sysctls) is written as a string",
    input: "version: v1alpha1\nmachine:\n  sysctls:\n    net.core.bpf_jit_harden: 1\n",
    contains: '        net.core.bpf_jit_harden: "1"\n',
  },
  {
    name: "a boolean extraArgs value (meta.ArgValue) is written as a string",
    input: "version: v1alpha1\nmachine:\n  kubelet:\n    extraArgs:\n      rotate-server-certificates: true\n",
    contains: '            rotate-server-certificates: "true"\n',
  },
  {
    name: "a number extraArgs value is written as a string",
    input: "version: v1alpha1\ncluster:\n  apiServer:\n    extraArgs:\n      max-requests-inflight: 200\n",
    contains: '            max-requests-inflight: "200"\n',
  },
  {
    name: "a file without permissions gets 0o0",
    input: "version: v1alpha1\nmachine:\n  files:\n    - path: /var/x\n      op: create\n      content: x\n",
    contains: "          permissions: 0o0\n",
  },
  {
    name: "permissions given in decimal are written in octal",
    input:
      "version: v1alpha1\nmachine:\n  files:\n    - path: /var/x\n      op: create\n      content: x\n      permissions: 420\n",
    contains: "          permissions: 0o644\n",
  },
  {
    name: "a duration is written in Go form",
    input: "apiVersion: v1alpha1\nkind: WatchdogTimerConfig\ndevice: /dev/watchdog0\ntimeout: 5m\n",
    contains: "timeout: 5m0s\n",
  },
  {
    name: "a block scalar at the end of the input without a line break keeps none",
    input:
      "version: v1alpha1\nmachine:\n  files:\n    - path: /var/x\n      op: create\n      permissions: 0o644\n      content: |\n        a = 1",
    contains: "        - content: a = 1\n",
  },
];

for (const c of CASES) {
  test(`Talos encoding: ${c.name}`, () => {
    const out = reencode(c.input);
    assert.ok(out.includes(c.contains), out);
  });
}

test("a block scalar followed by a line break keeps it", () => {
  const doc = parseYamlDocuments("a: |\n  x\n  y\n").documents[0] as YamlMap;
  assert.equal(doc.get("a"), "x\ny\n");
  const eof = parseYamlDocuments("a: |\n  x\n  y").documents[0] as YamlMap;
  assert.equal(eof.get("a"), "x\ny");
});

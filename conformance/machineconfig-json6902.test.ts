// JSON6902 patches as Talos's configpatcher applies them (evanphx/json-patch v4 under machinery v1.14.1), op by op:
// each case runs through `talos-oracle patch` and through talform's applyConfigPatches. Both must refuse, or both
// must produce the same config (the oracle's output is re-encoded by the oracle, talform's must equal it byte for
// byte).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TalosContract } from "../src/contract/index.js";
import { applyConfigPatches, parseConfigPatch } from "../src/machineconfig/patch/index.js";
import { canonicalize } from "../src/machineconfig/schema/canonical.js";
import { documentShape } from "../src/machineconfig/schema/shape.js";
import { encodeDocuments } from "../src/machineconfig/yaml/encode.js";
import type { YamlMap } from "../src/machineconfig/yaml/node.js";
import { parseYamlDocuments } from "../src/machineconfig/yaml/parse.js";
import { runOracle } from "./support/oracles.js";

const BASE = `version: v1alpha1
machine:
    type: worker
    token: abc
    certSANs: []
    kubelet:
        extraArgs:
            feature-gates: A=true
    network:
        interfaces:
            - interface: eth0
              dhcp: true
            - interface: eth1
              dhcp: false
    nodeLabels:
        node.kubernetes.io/role: worker
cluster:
    network:
        podSubnets:
            - 10.244.0.0/16
`;

// [name, patch]: every op, on object keys and list indexes, present and missing.
const CASES: [string, string][] = [
  ["replace of a missing object key adds it", "- {op: replace, path: /cluster/proxy, value: {disabled: true}}"],
  ["replace under a missing parent fails", "- {op: replace, path: /cluster/proxy/disabled, value: true}"],
  ["replace of an existing key", "- {op: replace, path: /machine/token, value: xyz}"],
  ["replace of a list item", "- {op: replace, path: /machine/network/interfaces/1, value: {interface: eth9}}"],
  [
    "replace past the end of a list fails",
    "- {op: replace, path: /machine/network/interfaces/2, value: {interface: eth2}}",
  ],
  ["replace of - fails", "- {op: replace, path: /machine/network/interfaces/-, value: {interface: eth2}}"],
  [
    "replace of a negative index counts from the end",
    "- {op: replace, path: /machine/network/interfaces/-1, value: {interface: eth3}}",
  ],
  ["remove of a missing key fails", "- {op: remove, path: /cluster/proxy}"],
  ["remove of an existing key", "- {op: remove, path: /machine/nodeLabels}"],
  ["remove of a list item", "- {op: remove, path: /machine/network/interfaces/0}"],
  ["remove past the end of a list fails", "- {op: remove, path: /machine/network/interfaces/5}"],
  ["remove of - fails", "- {op: remove, path: /machine/network/interfaces/-}"],
  ["remove with +1 (a Go integer)", "- {op: remove, path: /machine/network/interfaces/+1}"],
  ["remove of -3 in a list of two fails", "- {op: remove, path: /machine/network/interfaces/-3}"],
  ["add under a missing parent fails", "- {op: add, path: /cluster/proxy/disabled, value: true}"],
  ["add of an existing key replaces it", "- {op: add, path: /machine/token, value: xyz}"],
  ["add at the end index of a list", "- {op: add, path: /machine/network/interfaces/2, value: {interface: eth2}}"],
  ["add past the end of a list fails", "- {op: add, path: /machine/network/interfaces/3, value: {interface: eth2}}"],
  ["add with - appends", "- {op: add, path: /machine/network/interfaces/-, value: {interface: eth3}}"],
  ["add with 01 inserts at 1", "- {op: add, path: /machine/network/interfaces/01, value: {interface: eth3}}"],
  ["add with -1 appends", "- {op: add, path: /machine/network/interfaces/-1, value: {interface: eth3}}"],
  ["add with -3 inserts first", "- {op: add, path: /machine/network/interfaces/-3, value: {interface: eth3}}"],
  ["add with -4 fails", "- {op: add, path: /machine/network/interfaces/-4, value: {interface: eth3}}"],
  ["add with a non-number index fails", "- {op: add, path: /machine/network/interfaces/x, value: {interface: eth3}}"],
  ["add of a key with an escaped /", "- {op: add, path: /machine/kubelet/extraArgs/a~1b, value: x}"],
  ["add of a new top-level key", "- {op: add, path: /debug, value: true}"],
  ["add into a list item's map", "- {op: add, path: /machine/network/interfaces/0/mtu, value: 9000}"],
  ["move of a key", "- {op: move, from: /machine/nodeLabels/node.kubernetes.io~1role, path: /machine/nodeLabels/role}"],
  ["move of a missing key fails", "- {op: move, from: /cluster/proxy, path: /cluster/x}"],
  ["move past the end of a list fails", "- {op: move, from: /cluster/network/podSubnets/4, path: /cluster/x}"],
  ["copy of a list item", "- {op: copy, from: /cluster/network/podSubnets/0, path: /cluster/network/podSubnets/-}"],
  ["copy of a missing key copies null", "- {op: copy, from: /cluster/proxy, path: /cluster/discovery}"],
  ["copy under a missing parent fails", "- {op: copy, from: /cluster/proxy/a, path: /cluster/x}"],
  ["copy past the end of a list fails", "- {op: copy, from: /cluster/network/podSubnets/4, path: /cluster/x}"],
  [
    "test of an equal value passes",
    "- {op: test, path: /machine/token, value: abc}\n- {op: replace, path: /machine/token, value: t}",
  ],
  ["test of a different value fails", "- {op: test, path: /machine/token, value: abd}"],
  [
    "test of a missing key without a value passes",
    "- {op: test, path: /cluster/nope}\n- {op: replace, path: /machine/token, value: t}",
  ],
  ["test of a missing key against null fails", "- {op: test, path: /cluster/proxy, value: null}"],
  ["test under a missing parent fails", "- {op: test, path: /cluster/proxy/a}"],
  ["test past the end of a list fails", "- {op: test, path: /cluster/network/podSubnets/4}"],
  [
    "ops apply in order",
    "- {op: add, path: /cluster/proxy, value: {}}\n- {op: add, path: /cluster/proxy/disabled, value: true}",
  ],
];

const machinery = TalosContract.of(1, 14);

function talform(patch: string): { ok: true; text: string } | { ok: false; error: string } {
  try {
    const base = (parseYamlDocuments(BASE).documents as YamlMap[]).map(
      (d) => canonicalize(d, documentShape("v1alpha1")!) as YamlMap,
    );
    return { ok: true, text: encodeDocuments(applyConfigPatches(base, [parseConfigPatch(patch)], { machinery })) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

for (const [name, patch] of CASES) {
  test(`JSON6902 as Talos's configpatcher: ${name}`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "talform-json6902-"));
    try {
      await writeFile(join(dir, "base.yaml"), BASE);
      await writeFile(join(dir, "patch.yaml"), `${patch}\n`);
      const theirs = await runOracle("talos-oracle", [
        "patch",
        "--base",
        join(dir, "base.yaml"),
        "--patch",
        join(dir, "patch.yaml"),
      ]);
      const mine = talform(patch);
      if (theirs.code !== 0) {
        assert.equal(mine.ok, false, `Talos refuses (${theirs.stderr.trim()}), talform applies it`);
        return;
      }
      assert.ok(mine.ok, `Talos applies it, talform refuses: ${mine.ok ? "" : mine.error}`);
      await writeFile(join(dir, "patched.yaml"), theirs.stdout);
      const reencoded = await runOracle("talos-oracle", ["encode", join(dir, "patched.yaml")]);
      assert.equal(reencoded.code, 0, reencoded.stderr);
      assert.equal(mine.text, reencoded.stdout);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

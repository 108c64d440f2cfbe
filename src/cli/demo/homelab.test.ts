import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { runCliCaptured } from "../test-support.js";
import { addExtensionToNode, demoNodes, homelabTalconfig, parseNodeCounts, sopsConfig } from "./homelab.js";

test("--nodes: kind=count pairs over the defaults; bad input is a usage error", () => {
  const cases: [string, unknown][] = [
    ["", { cp: 3, gpu: 1, worker: 2 }],
    ["cp=1", { cp: 1, gpu: 1, worker: 2 }],
    ["cp=5, gpu=0,worker=9", { cp: 5, gpu: 0, worker: 9 }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseNodeCounts(text), expected, text);
  for (const bad of ["cp=0", "cp=10", "db=1", "cp:3", "cp=x"])
    assert.throws(
      () => parseNodeCounts(bad),
      (e: Error & { exitCode?: number }) => e.exitCode === 64,
      bad,
    );
});

test("nodes get loopback addresses by kind", () => {
  assert.deepEqual(
    demoNodes({ cp: 2, gpu: 1, worker: 1 }, "127.9.9").map((n) => `${n.hostname}=${n.address}/${n.kind}`),
    ["cp1=127.9.9.11/controlplane", "cp2=127.9.9.12/controlplane", "gpu1=127.9.9.21/gpu", "worker1=127.9.9.31/worker"],
  );
});

test("the demo talconfig is clean under talform validate, for several shapes", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-demo-homelab-"));
  try {
    for (const counts of [
      { cp: 3, gpu: 1, worker: 2 },
      { cp: 1, gpu: 0, worker: 0 },
      { cp: 1, gpu: 2, worker: 1 },
    ]) {
      await writeFile(
        join(dir, "talconfig.yaml"),
        homelabTalconfig(demoNodes(counts), { talosVersion: "v1.13.9", kubernetesVersion: "v1.36.3" }),
      );
      const r = await runCliCaptured(["validate", "--json"], { cwd: dir });
      assert.equal(r.code, 0, r.stdout);
      assert.deepEqual(JSON.parse(r.stdout).diagnostics, [], JSON.stringify(counts));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("adding an extension touches only that node's schematic and keeps comments", () => {
  const text = homelabTalconfig(demoNodes({ cp: 1, gpu: 1, worker: 1 }), {
    talosVersion: "v1.13.9",
    kubernetesVersion: "v1.36.3",
  });
  const edited = addExtensionToNode(text, "gpu1", "siderolabs/qemu-guest-agent");
  const before = parse(text);
  const after = parse(edited);
  assert.deepEqual(after.nodes[1].schematic.customization.systemExtensions.officialExtensions, [
    ...before.nodes[1].schematic.customization.systemExtensions.officialExtensions,
    "siderolabs/qemu-guest-agent",
  ]);
  after.nodes[1].schematic.customization.systemExtensions.officialExtensions.pop();
  assert.deepEqual(after, before);
  assert.match(edited, /# every node: NTP from Cloudflare/);
  assert.throws(() => addExtensionToNode(text, "worker1", "x"), /no schematic of its own/);
  assert.throws(() => addExtensionToNode(text, "nope", "x"), /no node nope/);
});

test(".sops.yaml encrypts the secrets bundle for the recipient", () => {
  const rules = parse(sopsConfig("age1abc")).creation_rules;
  assert.ok(new RegExp(rules[0].path_regex).test("talsecret.sops.yaml"));
  assert.equal(rules[0].age, "age1abc");
});

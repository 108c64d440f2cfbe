import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { existsSync } from "node:fs";
import { excerpt, planSummary, rolloutSteps, runDemo } from "./run.js";
import { fastSecrets, runCliCaptured } from "../test-support.js";

const SUBNET = "127.77.201";

/** Resolves true when something accepts a TCP connection on address:port. */
function listening(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

test("the demo runs end to end on a fast clock, narrates each step and leaves nothing running", async () => {
  let out = "";
  const result = await runDemo({
    counts: { cp: 1, gpu: 1, worker: 1 },
    timeScale: 0.01,
    generateSecrets: fastSecrets,
    subnet: SUBNET,
    write: (s) => (out += s),
  });
  assert.match(out, /^talform demo: the seed's homelab \(1 control plane, 1 NVIDIA GPU worker, 1 Longhorn worker\)/);
  assert.match(out, /\$ talform validate\n {4}talconfig\.yaml is valid \(3 nodes\)/);
  assert.match(out, /by hand: {2}talhelper gensecret > talsecret\.sops\.yaml/);
  assert.match(out, /talsecret\.sops\.yaml is SOPS-encrypted/);
  assert.match(out, new RegExp(`${SUBNET.replaceAll(".", "\\.")}\\.21 +v1\\.13\\.9`));
  // The edit's schematic is registered by apply (register-schematic), not by the demo: the factory logs its POST.
  assert.match(out, /the simulated Image Factory logged POST \/schematics 201\n/);
  assert.match(
    out,
    /gpu1's schematic is now [0-9a-f]{12}… \(siderolabs\/amd-ucode, .*, siderolabs\/qemu-guest-agent\)/,
  );
  assert.match(out, /\$ talform genconfig\n {4}generated config for cp1 in clusterconfig\/homelab-cp1\.yaml/);
  assert.match(
    out,
    /\$ talform plan\n {4}NODE +ROLE +RUNS +ACTIONS\n {4}cp1 +controlplane +maintenance +install, bootstrap\n/,
  );
  assert.match(out, /\$ talform apply --yes --max-parallel 3\n {4}starting rollout: .* on 3 node\(s\)/);
  assert.match(out, /cp1: bootstrap done/);
  assert.match(out, /gpu1 +worker +v1\.13\.9 +upgrade v1\.13\.9 → v1\.13\.9/);
  assert.match(out, /worker1 +worker +v1\.13\.9 +no changes/);
  assert.match(out, /talform: {2}chose upgrade \+ apply-config for gpu1; the other 2 nodes stay as they are/);
  assert.match(out, /gpu1: upgrade v1\.13\.9 → v1\.13\.9 done/);
  assert.match(out, /No changes\. The cluster matches the configuration\./);
  assert.match(out, /\$ talform health --wait-timeout 10s\n(.*\n)*? {4}cluster is healthy\n/);
  assert.match(out, /\$ talform doctor\n {4}doctor: no problems found\n/);
  assert.match(out, /nothing is listening/);
  assert.equal(result.kept, false);
  assert.equal(existsSync(result.dir), false, "the temp folder is removed");
  for (const node of result.nodes)
    assert.equal(await listening(node.address, 50000), false, `${node.address}:50000 still listens`);
});

test("a cluster without a GPU worker skips the extension change and still ends clean", async () => {
  let out = "";
  const result = await runDemo({
    counts: { cp: 1, gpu: 0, worker: 1 },
    timeScale: 0.01,
    generateSecrets: fastSecrets,
    subnet: "127.77.205",
    write: (s) => (out += s),
  });
  assert.match(out, /\[10\/12\] Plan the change.*\n.*\n {2}\$ talform plan\n(.*\n)*? {4}No changes\./);
  assert.match(out, /\[11\/12\] Apply it\n.*\n {2}\(skipped: nothing changed\)/);
  assert.match(out, /doctor: no problems found/);
  assert.equal(result.nodes.length, 2);
});

test("talform demo --nodes rejects a bad count with a usage error before doing anything", async () => {
  const r = await runCliCaptured(["demo", "--nodes", "cp=0"]);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /at least one control plane/);
});

test("a failing step fails the demo, and the fleet and the temp folder are still cleaned up", async () => {
  const subnet = "127.77.202";
  // Something else already listens where the second node wants to: the simulated fleet cannot start.
  const squatter = createServer().listen(50000, `${subnet}.12`);
  await new Promise((r) => squatter.once("listening", r));
  let out = "";
  try {
    await assert.rejects(
      runDemo({
        counts: { cp: 2, gpu: 0, worker: 0 },
        timeScale: 0.01,
        generateSecrets: fastSecrets,
        subnet,
        write: (s) => (out += s),
      }),
      /EADDRINUSE|in use|listen/i,
    );
  } finally {
    await new Promise((r) => squatter.close(r));
  }
  const folder = /cluster folder: (.*)\n/.exec(out)![1]!;
  assert.equal(existsSync(folder), false, "the temp folder is removed");
  assert.equal(await listening(`${subnet}.11`, 50000), false);
  assert.equal(await listening(`${subnet}.12`, 50000), false);
});

test("command output in the narration: long lines and long outputs are cut, empty lines dropped", () => {
  assert.deepEqual(excerpt("a\n\nb\n"), ["a", "b"]);
  const long = excerpt("x".repeat(500));
  assert.equal(long.length, 1);
  assert.equal(long[0]!.length, 160);
  assert.ok(long[0]!.endsWith("…"));
  const many = excerpt(Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n"));
  assert.equal(many.length, 40);
  assert.equal(many.at(-1), "… (61 more lines)");
});

test("plan and apply output in the narration: the table and summary; the rollout steps without timestamps", () => {
  const plan = [
    "NODE  ROLE  RUNS  ACTIONS",
    "cp1   controlplane   maintenance   install",
    "w1    worker   maintenance   install",
    "cp1 (installs):",
    "  1. install: …",
    "Plan: 2 action(s) on 2 node(s).",
  ];
  assert.deepEqual(planSummary(plan), [plan[0], plan[1], plan[2], plan[5]]);
  assert.deepEqual(planSummary(["error: x"]), ["error: x"]);
  const apply = [
    ...plan,
    "2026-11-24T06:58:20.636Z starting rollout: 5 step(s)",
    "2026-11-24T06:58:20.637Z gpu1: upgrade …",
    "2026-11-24T06:58:23.790Z gpu1: upgrade done (3.1 s)",
  ];
  assert.deepEqual(rolloutSteps(apply), ["starting rollout: 5 step(s)", "gpu1: upgrade done (3.1 s)"]);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliCaptured } from "../cli/test-support.js";
import { makeTestBundle } from "../machineconfig/test-support.js";
import { serializeSecretsBundle } from "../secrets/index.js";
import { startFleet } from "../sim/index.js";

// As a new user would: a 3-node talconfig, a simulated cluster with the cluster's OS CA, then plan → apply → plan.
// Addresses 127.0.65.x.

const TALCONFIG = `clusterName: simlab
talosVersion: v1.13.9
kubernetesVersion: v1.36.3
endpoint: https://127.0.65.100:6443
nodes:
  - hostname: cp1
    ipAddress: 127.0.65.1
    controlPlane: true
    installDisk: /dev/sda
  - hostname: w1
    ipAddress: 127.0.65.11
    installDisk: /dev/sda
  - hostname: w2
    ipAddress: 127.0.65.12
    installDisk: /dev/sda
`;

test("talform plan / apply / plan against simulated nodes", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-rollout-cli-"));
  const bundle = await makeTestBundle();
  const fleet = await startFleet(
    {
      clusterName: "simlab",
      osCA: bundle.certs.os,
      kubernetesEndpoint: "https://127.0.65.100:6443",
      nodes: [
        { hostname: "cp1", address: "127.0.65.1", controlPlane: true, talosVersion: "v1.13.9" },
        { hostname: "w1", address: "127.0.65.11", controlPlane: false, talosVersion: "v1.13.9" },
        { hostname: "w2", address: "127.0.65.12", controlPlane: false, talosVersion: "v1.13.9" },
      ],
    },
    { timeScale: 0.005 },
  );
  const env = { TALFORM_LOOPBACK_ONLY: "1" };
  try {
    await writeFile(join(dir, "talconfig.yaml"), TALCONFIG);
    await writeFile(join(dir, "talsecret.yaml"), serializeSecretsBundle(bundle), { mode: 0o600 });
    let r = await runCliCaptured(["plan", "--out", "plan.json"], { cwd: dir, env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /cp1 +controlplane +maintenance +install, bootstrap/);
    const plan = JSON.parse(await readFile(join(dir, "plan.json"), "utf8")) as { nodes: { hostname: string; actions: { type: string }[] }[] };
    assert.deepEqual(plan.nodes.map((n) => [n.hostname, n.actions.map((a) => a.type)]), [["cp1", ["install", "bootstrap"]], ["w1", ["install"]], ["w2", ["install"]]]);

    await mkdir(join(dir, "clusterconfig"));
    r = await runCliCaptured(["apply", "plan.json"], { cwd: dir, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /rollout finished/);
    // clusterconfig/ existed, so apply rendered it from the inputs it just applied.
    assert.match(r.stdout, /refreshed clusterconfig\/ \(\d+ files written\)/);
    await stat(join(dir, "clusterconfig", "simlab-cp1.yaml"));
    assert.equal((await stat(join(dir, ".talform", "journal.json"))).mode & 0o777, 0o600);

    r = await runCliCaptured(["plan"], { cwd: dir, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /No changes/);

    // Nothing was interrupted: resuming is the user's mistake (exit 1 with a hint), not a bug (70).
    r = await runCliCaptured(["apply", "--resume", "--yes"], { cwd: dir, env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /there is nothing to resume\n {2}hint: run `talform plan`/);

    r = await runCliCaptured(["apply", "plan.json"], { cwd: dir, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /stale/);
  } finally {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliCaptured } from "./test-support.js";
import { makeTestBundle } from "../machineconfig/test-support.js";
import { serializeSecretsBundle } from "../secrets/index.js";
import { SimImageFactory, startFleet } from "../sim/index.js";

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
  const factory = new SimImageFactory();
  await factory.start("127.0.0.1", 0);
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
    { timeScale: 0.005, imageFactory: factory },
  );
  // The talconfig names factory.talos.dev; registration goes to the simulated factory instead.
  const env = { TALFORM_LOOPBACK_ONLY: "1", TALFORM_IMAGE_FACTORY: factory.url };
  try {
    await writeFile(join(dir, "talconfig.yaml"), TALCONFIG);
    await writeFile(join(dir, "talsecret.yaml"), serializeSecretsBundle(bundle), { mode: 0o600 });
    let r = await runCliCaptured(["plan", "--out", "plan.json"], { cwd: dir, env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /cp1 +controlplane +maintenance +install, bootstrap/);
    const plan = JSON.parse(await readFile(join(dir, "plan.json"), "utf8")) as {
      nodes: { hostname: string; actions: { type: string }[] }[];
    };
    assert.deepEqual(
      plan.nodes.map((n) => [n.hostname, n.actions.map((a) => a.type)]),
      [
        ["cp1", ["install", "bootstrap"]],
        ["w1", ["install"]],
        ["w2", ["install"]],
      ],
    );
    // One register-schematic step for the schematic all three install, run before any node.
    const prepare = (plan as unknown as { prepare: { type: string; nodes: string[]; factory: string }[] }).prepare;
    assert.deepEqual(
      prepare.map((p) => [p.type, p.nodes, p.factory]),
      [["register-schematic", ["cp1", "w1", "w2"], factory.url]],
    );
    assert.match(r.stdout, /register-schematic 376567988ad3… at http:\/\/127\.0\.0\.1:\d+: cp1, w1, w2 install/);

    r = await runCliCaptured(["plan", "--offline"], { cwd: dir, env });
    assert.match(r.stdout, /offline: not registering 1 schematic\(s\) with the image factory \(376567988ad3…\)/);
    assert.doesNotMatch(r.stdout, /register-schematic/);

    await mkdir(join(dir, "clusterconfig"));
    r = await runCliCaptured(["apply", "plan.json"], { cwd: dir, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /rollout finished/);
    assert.deepEqual(
      factory.requests.map((q) => `${q.method} ${q.path.replace(/[0-9a-f]{64}/, "<id>")} ${q.status}`),
      ["GET /schematics/<id> 404", "POST /schematics 201"],
    );
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

    // Every node down: the plan is incomplete (exit 1), never "No changes".
    await fleet.stop();
    r = await runCliCaptured(["plan"], { cwd: dir, env });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /No changes/);
    assert.match(r.stdout, /Plan incomplete: 3 of 3 node\(s\) could not be observed/);
  } finally {
    await fleet.stop();
    await factory.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliCaptured } from "../cli/test-support.js";
import { makeTestBundle } from "../machineconfig/test-support.js";
import { serializeSecretsBundle } from "../secrets/index.js";
import { startFleet } from "../sim/index.js";
import { waitUntil } from "../sim/testing.js";

// Membership drill (issue 20): a control plane is lost → removed from talconfig.yaml (plan `remove`, apply
// --allow-remove) → re-added (install, joins etcd) → 3 healthy members; then the guards: removing a healthy control
// plane (leaves etcd, reset, Node deleted), removing every control plane, removing one while another is down.
// Addresses 127.0.121.x.
const node = (h: string, ip: string, cp: boolean) =>
  `  - hostname: ${h}\n    ipAddress: ${ip}\n    controlPlane: ${cp}\n    installDisk: /dev/sda\n`;
const NODES = {
  cp1: node("cp1", "127.0.121.1", true),
  cp2: node("cp2", "127.0.121.2", true),
  cp3: node("cp3", "127.0.121.3", true),
  w1: node("w1", "127.0.121.11", false),
};
const talconfig = (names: (keyof typeof NODES)[]) =>
  `clusterName: members\ntalosVersion: v1.13.9\nkubernetesVersion: v1.36.3\nendpoint: https://127.0.121.100:6443\nnodes:\n${names.map((n) => NODES[n]).join("")}`;

test("membership drill: lose a control plane, remove it, re-add it; removal guards", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-members-drill-"));
  const bundle = await makeTestBundle();
  const fleet = await startFleet(
    {
      clusterName: "members",
      osCA: bundle.certs.os,
      kubernetesEndpoint: "https://127.0.121.100:6443",
      nodes: [
        { hostname: "cp1", address: "127.0.121.1", controlPlane: true, talosVersion: "v1.13.9" },
        { hostname: "cp2", address: "127.0.121.2", controlPlane: true, talosVersion: "v1.13.9" },
        { hostname: "cp3", address: "127.0.121.3", controlPlane: true, talosVersion: "v1.13.9" },
        { hostname: "w1", address: "127.0.121.11", controlPlane: false, talosVersion: "v1.13.9" },
      ],
    },
    { timeScale: 0.005, seed: 5 },
  );
  const env = { TALFORM_LOOPBACK_ONLY: "1" };
  // No image factory here: the drill is about etcd membership, so plan and apply run --offline.
  const cli = (...args: string[]) => runCliCaptured(args, { cwd: dir, env });
  const use = (names: (keyof typeof NODES)[]) => writeFile(join(dir, "talconfig.yaml"), talconfig(names));
  const kubeNodes = () =>
    fleet
      .etcdKeys()
      .filter((k) => k.key.startsWith("/registry/minions/"))
      .map((k) => k.key.split("/").pop())
      .sort();
  try {
    await writeFile(join(dir, "talsecret.yaml"), serializeSecretsBundle(bundle), { mode: 0o600 });
    await use(["cp1", "cp2", "cp3", "w1"]);
    let r = await cli("apply", "--offline", "--yes");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await waitUntil("3 healthy members", () => fleet.etcd().healthy.length === 3);

    // cp3 is lost: its disk is gone (it boots into maintenance mode); its etcd member stays, unhealthy.
    fleet.fault("cp3", "wipe=disk");
    await waitUntil("cp3 in maintenance", () => fleet.node("cp3").stage === "maintenance");
    assert.deepEqual([...fleet.etcd().healthy].sort(), ["cp1", "cp2"]);

    await use(["cp1", "cp2", "w1"]);
    r = await cli("plan", "--offline");
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /cp3 +controlplane +maintenance +remove/);
    assert.match(r.stdout, /etcd: remove member [0-9a-f]{16}/);
    assert.match(r.stdout, /warning: the cluster shrinks to 2 control plane/);
    r = await cli("apply", "--offline", "--yes");
    assert.equal(r.code, 64, "removals need --allow-remove");
    assert.match(r.stderr, /removes cp3[\s\S]*--allow-remove/);
    r = await cli("apply", "--offline", "--yes", "--allow-remove");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual([...fleet.etcd().members].sort(), ["cp1", "cp2"]);
    assert.deepEqual([...fleet.etcd().healthy].sort(), ["cp1", "cp2"]);
    assert.deepEqual(kubeNodes(), ["cp1", "cp2", "w1"], "no Kubernetes Node for cp3");

    await use(["cp1", "cp2", "cp3", "w1"]);
    r = await cli("plan", "--offline");
    assert.equal(r.code, 2);
    assert.match(r.stdout, /cp3 +controlplane +maintenance +install/);
    r = await cli("apply", "--offline", "--yes");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual([...fleet.etcd().healthy].sort(), ["cp1", "cp2", "cp3"], "cp3 joined etcd again");
    assert.deepEqual(kubeNodes(), ["cp1", "cp2", "cp3", "w1"]);

    // Removing one while another is down is refused: quorum.
    fleet.fault("cp2", "unavailable=1000");
    await use(["cp1", "cp2", "w1"]);
    r = await cli("plan", "--offline");
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /refusing to remove cp3: .*only 1 are healthy.*cp2 is down/);
    fleet.fault("cp2", "clear");
    await waitUntil("cp2 back", () => fleet.etcd().healthy.length === 3, 15000);

    // Removing a healthy control plane: it leaves etcd, is reset (maintenance mode), its Node is deleted.
    await use(["cp1", "cp2", "w1"]);
    r = await cli("apply", "--offline", "--yes", "--allow-remove");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual([...fleet.etcd().members].sort(), ["cp1", "cp2"]);
    assert.equal(fleet.etcd().healthy.length, 2);
    assert.deepEqual(kubeNodes(), ["cp1", "cp2", "w1"]);
    await waitUntil("cp3 reset into maintenance", () => fleet.node("cp3").stage === "maintenance");

    // Removing every control plane is refused, with the reason.
    await use(["w1"]);
    r = await cli("plan", "--offline");
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /removing every control plane \(cp1, cp2\)/);
  } finally {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTestBundle } from "../machineconfig/test-support.js";
import { startSimHarness } from "../rollout/test-support.js";
import { makeClientCert } from "../sim/certs.js";
import { waitUntil } from "../sim/testing.js";
import { createClusterAccess } from "./cluster-access.js";
import { observeCluster } from "./observe.js";
import type { NodeFixture } from "./test-support.js";

// Observing through one control plane's apid (ClusterAccess.reader) sees exactly what observing every node directly
// sees, also for a node whose API is down and one back in maintenance mode (simulated fleet on 127.0.72.x).
const NODES: NodeFixture[] = [
  { hostname: "cp1", address: "127.0.72.1", controlPlane: true },
  { hostname: "w1", address: "127.0.72.11", controlPlane: false },
  { hostname: "w2", address: "127.0.72.12", controlPlane: false },
  { hostname: "w3", address: "127.0.72.13", controlPlane: false },
];

test("observe through the reader = observe every node directly, with a node down and one in maintenance mode", async () => {
  const bundle = await makeTestBundle();
  const h = await startSimHarness({
    endpoint: "https://127.0.72.100:6443",
    talosVersion: "v1.13.9",
    kubernetesVersion: "1.36.3",
    bundle,
    nodes: NODES,
  });
  const admin = await makeClientCert(bundle.certs.os, ["os:admin"]);
  // The same access without a reader: every node is dialed directly, as before the reader.
  const dialing = createClusterAccess({
    credentials: { ca: bundle.certs.os.crt, crt: admin.crt, key: admin.key },
    controlPlanes: ["127.0.72.1"],
    env: { TALFORM_LOOPBACK_ONLY: "1" },
    timeoutMs: 5000,
  });
  const direct = { ...dialing, reader: () => Promise.resolve(undefined) };
  try {
    const desired = await h.render(NODES);
    const r = await h.apply(await h.plan(desired), desired);
    assert.equal(r.ok, true, r.error);
    h.fleet.fault("w2", "unavailable=600");
    h.fleet.fault("w3", "wipe=disk");
    await waitUntil("w3 in maintenance mode", () => h.fleet.node("w3").inMaintenance, 10_000);
    assert.ok(await h.access.reader(), "cp1 routes the reads");
    const routed = await observeCluster(NODES, h.access);
    const dialed = await observeCluster(NODES, direct);
    assert.deepEqual(routed, dialed);
    const byName = new Map(routed.nodes.map((n) => [n.hostname, n]));
    assert.equal(byName.get("w1")?.reachable, true);
    assert.ok(byName.get("w1")?.configDigest);
    assert.equal(byName.get("w2")?.reachable, false);
    assert.equal(byName.get("w3")?.maintenance, true);
  } finally {
    dialing.close();
    await h.stop();
  }
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ApplyMode, TalosClient } from "../talosapi/client.js";
import { startFleet, type Fleet } from "./cluster.js";
import { installNodes, makeClientCert, makeOsCA, sampleMachineConfig, waitUntil } from "./testing.js";

// Addresses 127.0.23.x are reserved for this file.
const CP1 = "127.0.23.1";
const CP2 = "127.0.23.2";
const W1 = "127.0.23.3";
const env = { TALFORM_LOOPBACK_ONLY: "1" };
const SCHEMATIC = "d".repeat(64);

let fleet: Fleet;
let admin: TalosClient;
let credentials: { kind: "mtls"; ca: string; crt: string; key: string };
const cfg = (node: string) =>
  sampleMachineConfig({
    type: node === W1 ? "worker" : "controlplane",
    hostname: `f${node.split(".")[3]}`,
    endpoint: `https://${CP1}:6443`,
  });

before(async () => {
  const ca = await makeOsCA();
  fleet = await startFleet(
    {
      clusterName: "faults",
      osCA: ca,
      nodes: [
        { hostname: "f1", address: CP1, controlPlane: true, talosVersion: "v1.12.6", schematicId: SCHEMATIC },
        { hostname: "f2", address: CP2, controlPlane: true, talosVersion: "v1.12.6", schematicId: SCHEMATIC },
        { hostname: "f3", address: W1, controlPlane: false, talosVersion: "v1.12.6", schematicId: SCHEMATIC },
      ],
      schematics: { [SCHEMATIC]: ["siderolabs/iscsi-tools", "siderolabs/qemu-guest-agent"] },
    },
    { timeScale: 0.01, seed: 11 },
  );
  await installNodes(fleet, { [CP1]: cfg(CP1), [CP2]: cfg(CP2), [W1]: cfg(W1) }, env);
  const cert = await makeClientCert(ca, ["os:admin"]);
  credentials = { kind: "mtls", ca: ca.crt, crt: cert.crt, key: cert.key };
  admin = new TalosClient({ endpoints: [CP1], nodes: [CP1, CP2, W1], credentials, env, retryAttempts: 1 });
  await admin.bootstrap(CP1);
});

after(async () => {
  admin?.close();
  await fleet?.stop();
});

test("apply-reject fails only that node's apply", async () => {
  fleet.fault("f3", "apply-reject");
  const results = await admin.applyConfiguration((n) => Buffer.from(cfg(n)), { mode: ApplyMode.AUTO }, [CP2, W1]);
  assert.equal(results[0]!.error, undefined);
  assert.equal(results[1]!.error?.node, W1);
  assert.equal(results[1]!.error?.code, Code.FailedPrecondition);
  assert.match(results[1]!.error!.message, /^127\.0\.23\.3: .*rejected.*apply-reject/);
  fleet.fault(W1, "clear");
  assert.equal(
    (await admin.applyConfiguration(Buffer.from(cfg(W1)), { mode: ApplyMode.AUTO }, [W1]))[0]!.error,
    undefined,
  );
});

test("rollback-on-upgrade: the node comes back on the old version and the upgrade is reported as failed", async () => {
  fleet.fault(W1, "rollback-on-upgrade");
  const [r] = await admin.upgradeAndWait(
    `factory.talos.dev/metal-installer/${SCHEMATIC}:v1.13.9`,
    { pollMs: 10, timeoutMs: 5000 },
    [W1],
  );
  assert.equal(r!.error?.node, W1);
  assert.match(r!.error!.message, /upgrade to v1\.13\.9 failed: the node rebooted but runs v1\.12\.6 \(rolled back/);
  fleet.fault(W1, "clear");
});

test("reboot-hang keeps the node down until cleared; slow-reboot makes the reboot take longer", async () => {
  fleet.fault(W1, "reboot-hang");
  const before = await admin.bootId(W1);
  await admin.reboot(undefined, [W1]);
  await assert.rejects(
    admin.waitForReboot(W1, before, { pollMs: 10, timeoutMs: 300 }),
    /timed out waiting for the node to reboot/,
  );
  fleet.fault(W1, "clear");
  const { bootId } = await admin.waitForReboot(W1, before, { pollMs: 10, timeoutMs: 5000 });

  fleet.fault(W1, "slow-reboot=40"); // 40 s × time scale 0.01 = 400 ms
  const t0 = Date.now();
  await admin.reboot(undefined, [W1]);
  await admin.waitForReboot(W1, bootId, { pollMs: 10, timeoutMs: 5000 });
  assert.ok(Date.now() - t0 >= 380, `slow reboot took only ${Date.now() - t0} ms`);
  fleet.fault(W1, "clear");
});

test("clear ends an outage before its time", async () => {
  fleet.fault(CP2, "unavailable=100000"); // 1,000 s
  const direct = new TalosClient({ endpoints: [CP2], nodes: [CP2], credentials, env, retryAttempts: 1 });
  try {
    await waitUntil("listener closed", async () => (await direct.version())[0]!.error !== undefined, 1000);
    fleet.fault(CP2, "clear");
    await waitUntil("node back", async () => (await direct.version())[0]!.error === undefined, 3000);
    // The outage's own timer, when it fires, finds it over: the node keeps answering.
    fleet.fault(CP2, "unavailable=10"); // 0.1 s
    fleet.fault(CP2, "clear");
    await waitUntil("node back again", async () => (await direct.version())[0]!.error === undefined, 3000);
  } finally {
    direct.close();
  }
});

test("unavailable=SECONDS: calls to that node fail with UNAVAILABLE, then it answers again", async () => {
  fleet.fault(CP2, "unavailable=100"); // 1 s
  const direct = new TalosClient({ endpoints: [CP2], nodes: [CP2], credentials, env, retryAttempts: 1 });
  try {
    await waitUntil("listener closed", async () => (await direct.version())[0]!.error !== undefined, 1000);
    const [r] = await direct.version();
    assert.equal(r!.error?.node, CP2);
    assert.equal(r!.error?.code, Code.Unavailable);
    await waitUntil("node back", async () => (await direct.version())[0]!.error === undefined, 3000);
  } finally {
    direct.close();
  }
});

test("etcd-unhealthy: etcd status fails, health check reports it, control-plane upgrades are refused", async () => {
  fleet.fault(CP2, "etcd-unhealthy");
  const [st] = await admin.etcdStatus([CP2]);
  assert.equal(st!.error?.code, Code.Unavailable);
  assert.match(st!.error!.message, /unhealthy/);
  await assert.rejects(
    (async () => {
      for await (const _ of admin.healthCheck(
        CP1,
        { controlPlaneNodes: [CP1, CP2], workerNodes: [W1] },
        { waitTimeoutMs: 1000 },
      ))
        void _;
    })(),
    /etcd to be healthy: 127\.0\.23\.2: service "etcd" not healthy/,
  );
  const [u] = await admin.upgrade(`factory.talos.dev/metal-installer/${SCHEMATIC}:v1.12.6`, {}, [CP1]);
  assert.equal(u!.error?.code, Code.FailedPrecondition);
  assert.match(u!.error!.message, /etcd member f2 is not healthy/);
  fleet.fault(CP2, "clear");
});

test("drop-extension hides one extension from ExtensionStatus and /proc/modules", async () => {
  fleet.fault(CP1, "drop-extension=siderolabs/iscsi-tools");
  const ext = await admin.listResources(CP1, "runtime", "ExtensionStatuses.runtime.talos.dev");
  assert.deepEqual(
    ext.map((e) => (e.spec as { metadata: { name: string } }).metadata.name),
    ["siderolabs/qemu-guest-agent"],
  );
  const modules = Buffer.from(await admin.read(CP1, "/proc/modules")).toString();
  assert.doesNotMatch(modules, /^iscsi /m);
  assert.match(modules, /^qemu_guest_agent /m);
  fleet.fault(CP1, "clear");
  assert.equal((await admin.listResources(CP1, "runtime", "ExtensionStatuses.runtime.talos.dev")).length, 2);
  assert.throws(() => fleet.fault(CP1, "explode"), /unknown fault "explode"/);
  assert.throws(() => fleet.fault(CP1, "slow-reboot=x"), /needs a number of seconds/);
});

test("an unavailable endpoint is retried with backoff on the next endpoint", async () => {
  const client = new TalosClient({
    endpoints: [CP2, CP1],
    nodes: [W1],
    credentials,
    env,
    retryAttempts: 3,
    retryBaseMs: 10,
  });
  const probe = new TalosClient({ endpoints: [CP2], nodes: [CP2], credentials, env, retryAttempts: 1 });
  try {
    fleet.fault(CP2, "unavailable=100"); // 1 s
    await waitUntil("CP2 down", async () => (await probe.version())[0]!.error !== undefined, 1000);
    const [r] = await client.version();
    assert.equal(r!.error, undefined, String(r!.error));
    assert.equal(r!.value!.version?.tag, fleet.node(W1).talosVersion);
  } finally {
    client.close();
    probe.close();
    fleet.fault(CP2, "clear");
  }
});

test("a second reboot while one is running is refused", async () => {
  fleet.fault(W1, "slow-reboot=50");
  const before = await admin.bootId(W1);
  const [first] = await admin.reboot(undefined, [W1]);
  assert.equal(first!.error, undefined);
  // Over the API the window is the (scaled) service stop time; the node itself must refuse in every stage until up.
  assert.throws(() => fleet.node(W1).reboot("reboot", ""), /reboot sequence is already running/);
  await admin.waitForReboot(W1, before, { pollMs: 10, timeoutMs: 5000 });
  fleet.fault(W1, "clear");
});

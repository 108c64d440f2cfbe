import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { once } from "node:events";
import { connect } from "node:net";
import { TalosClient } from "../talosapi/client.js";
import { startFleet, type Fleet } from "./cluster.js";
import { installNodes, makeClientCert, makeOsCA, sampleMachineConfig, waitUntil } from "./testing.js";

// Calls routed through a control plane's apid (`node` metadata) reach the target exactly while its own API answers.
const CP = "127.0.94.1";
const W = "127.0.94.2";
const env = { TALFORM_LOOPBACK_ONLY: "1" };
const config = (type: "controlplane" | "worker", hostname: string) =>
  sampleMachineConfig({ type, hostname, endpoint: `https://${CP}:6443` });

let fleet: Fleet;
let admin: TalosClient;

before(async () => {
  const ca = await makeOsCA();
  fleet = await startFleet(
    {
      clusterName: "route",
      osCA: ca,
      nodes: [
        { hostname: "cp", address: CP, controlPlane: true, talosVersion: "v1.13.9" },
        { hostname: "w", address: W, controlPlane: false, talosVersion: "v1.13.9" },
      ],
    },
    // Time scale 1: services stop for 500 ms after the Reboot call before the API drops.
    { timeScale: 1, seed: 94 },
  );
  await installNodes(fleet, { [CP]: config("controlplane", "cp"), [W]: config("worker", "w") }, env);
  const cert = await makeClientCert(ca, ["os:admin"]);
  admin = new TalosClient({
    endpoints: [CP],
    nodes: [W],
    credentials: { kind: "mtls", ca: ca.crt, crt: cert.crt, key: cert.key },
    env,
    retryAttempts: 1,
  });
});

after(async () => {
  admin?.close();
  await fleet?.stop();
});

test("a reboot's target still answers routed calls while its services stop, and its watch sees the sequence", async () => {
  const [rebooted] = await admin.reboot(undefined, [W]);
  assert.ok(rebooted?.value, JSON.stringify(rebooted));
  // talosctl's tracker opens its routed event watch concurrently with the Reboot call: it may arrive just after it.
  const [version] = await admin.version([W]);
  assert.equal(version?.error, undefined, `routed Version right after the Reboot call: ${JSON.stringify(version)}`);
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const e of admin.events(W, { tailEvents: -1, actorId: rebooted.value! })) seen.push(e.type);
  }, /unavailable|EOF|went down/i);
  assert.ok(seen.includes("machine.SequenceEvent"), `events before the API dropped: ${seen.join(", ")}`);
});

test("a connection still in its TLS handshake when the API drops does not hold the node down", async () => {
  await waitUntil("w running", () => fleet.node("w").stage === "running", 10_000);
  const before = await admin.bootId(W);
  // A client that connected just before the stop and has not finished its handshake (a loaded machine, a client
  // reconnecting after the GOAWAY): the server's close waits for every connection, so it must be dropped too.
  const pending = connect(50000, W);
  await once(pending, "connect");
  pending.on("error", () => {});
  const [rebooted] = await admin.reboot(undefined, [W]);
  assert.ok(rebooted?.value, JSON.stringify(rebooted));
  await waitUntil(
    "w back with a new boot id",
    async () => (await admin.bootId(W).catch(() => before)) !== before,
    15_000,
  );
  pending.destroy();
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { ApplyMode, TalosClient } from "../talosapi/client.js";
import { startFleet, type Fleet } from "./cluster.js";
import { installNodes, makeClientCert, makeOsCA } from "./testing.js";

// Addresses 127.0.92.x are reserved for this file.
const N1 = "127.0.92.1";
const env = { TALFORM_LOOPBACK_ONLY: "1" };
const KMOD = "siderolabs/nvidia-open-gpu-kernel-modules-production";

const config = (machine: Record<string, unknown> = {}) =>
  stringify({
    version: "v1alpha1",
    machine: {
      type: "controlplane",
      install: { disk: "/dev/sda", image: "ghcr.io/siderolabs/installer:v1.13.9" },
      network: {
        hostname: "o1",
        nameservers: ["10.92.0.53"],
        interfaces: [{ interface: "eth0", addresses: ["10.92.0.1/24"] }],
      },
      kernel: { modules: [{ name: "nvidia" }, { name: "br_netfilter" }] },
      nodeLabels: { zone: "a" },
      nodeTaints: { gpu: "true:NoSchedule" },
      ...machine,
    },
    cluster: { clusterName: "obs", controlPlane: { endpoint: `https://${N1}:6443` } },
  });

let fleet: Fleet;
let admin: TalosClient;

before(async () => {
  const ca = await makeOsCA();
  fleet = await startFleet(
    {
      clusterName: "obs",
      osCA: ca,
      nodes: [{ hostname: "o1", address: N1, controlPlane: true, talosVersion: "v1.13.9", extensions: [KMOD] }],
    },
    { timeScale: 0.01, seed: 92 },
  );
  await installNodes(fleet, { [N1]: config() }, env);
  const cert = await makeClientCert(ca, ["os:admin"]);
  admin = new TalosClient({
    endpoints: [N1],
    nodes: [N1],
    credentials: { kind: "mtls", ca: ca.crt, crt: cert.crt, key: cert.key },
    env,
    retryAttempts: 1,
  });
});

after(async () => {
  admin?.close();
  await fleet?.stop();
});

const spec = async (ns: string, type: string, id: string) =>
  (await admin.getResource(N1, ns, type, id)).spec as Record<string, unknown>;
const list = async (ns: string, type: string) =>
  (await admin.listResources(N1, ns, type)).map((r) => r.spec as Record<string, unknown>);

test("addresses, resolvers, modules and the NVIDIA extension version follow the config and extensions", async () => {
  assert.deepEqual(
    (await list("network", "AddressStatuses.net.talos.dev")).map((a) => a["address"]),
    [`${N1}/8`, "10.92.0.1/24", "127.0.0.1/8"],
  );
  assert.deepEqual((await spec("network", "ResolverStatuses.net.talos.dev", "resolvers"))["dnsServers"], [
    "10.92.0.53",
  ]);
  const modules = Buffer.from(await admin.read(N1, "/proc/modules"))
    .toString()
    .split("\n")
    .map((l) => l.split(" ")[0]);
  assert.ok(modules.includes("nvidia") && modules.includes("br_netfilter"), modules.join());
  const ext = (await list("runtime", "ExtensionStatuses.runtime.talos.dev"))[0]!["metadata"] as { version: string };
  assert.equal(ext.version, "570.172.08-v1.13.9");
});

test("faults: time-unsynced, drop-address, no-default-route, resolvers, service-fail, extension-version; clear undoes them", async () => {
  fleet.fault("o1", "time-unsynced");
  fleet.fault("o1", "drop-address=10.92.0.1/24");
  fleet.fault("o1", "no-default-route");
  fleet.fault("o1", "resolvers=9.9.9.9,1.1.1.1");
  fleet.fault("o1", "service-fail=containerd");
  fleet.fault("o1", `extension-version=${KMOD}@570.172.08-v1.12.6`);
  assert.equal((await spec("runtime", "TimeStatuses.v1alpha1.talos.dev", "node"))["synced"], false);
  assert.ok(!(await list("network", "AddressStatuses.net.talos.dev")).some((a) => a["address"] === "10.92.0.1/24"));
  assert.deepEqual(await list("network", "RouteStatuses.net.talos.dev"), []);
  assert.deepEqual((await spec("network", "ResolverStatuses.net.talos.dev", "resolvers"))["dnsServers"], [
    "9.9.9.9",
    "1.1.1.1",
  ]);
  const containerd = (await admin.services([N1]))[0]!.value!.find((s) => s.id === "containerd")!;
  assert.equal(containerd.state, "Waiting");
  assert.equal(containerd.health?.healthy, false);
  // The history since boot, then the crash loop's trail of restarts (3 × started / failed).
  const trail = containerd.events!.events.slice(-6);
  assert.deepEqual(
    trail.map((e) => e.state),
    ["Running", "Waiting", "Running", "Waiting", "Running", "Waiting"],
  );
  assert.equal(containerd.events!.events[0]!.state, "Waiting");
  assert.equal(
    ((await list("runtime", "ExtensionStatuses.runtime.talos.dev"))[0]!["metadata"] as { version: string }).version,
    "570.172.08-v1.12.6",
  );
  assert.throws(() => fleet.fault("o1", "extension-version=nover"), /NAME@VERSION/);
  fleet.fault("o1", "clear");
  assert.equal((await spec("runtime", "TimeStatuses.v1alpha1.talos.dev", "node"))["synced"], true);
  assert.equal((await list("network", "RouteStatuses.net.talos.dev")).length, 1);
  assert.equal((await admin.services([N1]))[0]!.value!.find((s) => s.id === "containerd")!.state, "Running");
});

test("MachineConfig persistent holds a staged config until the reboot; a later no-reboot apply replaces it", async () => {
  const machineConfig = async (id: string) =>
    (await admin.getResource(N1, "config", "MachineConfigs.config.talos.dev", id)).spec as string;
  assert.equal(await machineConfig("persistent"), await machineConfig("v1alpha1"));
  const staged = config({ install: { disk: "/dev/sdb", image: "ghcr.io/siderolabs/installer:v1.13.9" } });
  await admin.applyConfiguration(Buffer.from(staged), { mode: ApplyMode.STAGED });
  assert.equal(await machineConfig("persistent"), staged);
  assert.notEqual(await machineConfig("v1alpha1"), staged);
  await admin.applyConfiguration(Buffer.from(config()), { mode: ApplyMode.NO_REBOOT });
  assert.equal(await machineConfig("persistent"), await machineConfig("v1alpha1"));
});

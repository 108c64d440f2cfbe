import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeMachineConfig, rebootReasons } from "./config.js";
import { mergePatch } from "./kube.js";
import { goDuration } from "./node.js";
import { extractFileFromTarGz, tarGzSingleFile } from "../talosapi/targz.js";

const base =
  "version: v1alpha1\nmachine:\n  type: worker\n  install:\n    image: ghcr.io/siderolabs/installer:v1.13.9\n  network:\n    hostname: w1\ncluster:\n  clusterName: c\n";

test("decodeMachineConfig reads the fields the simulator acts on and rejects unknown fields and kinds", () => {
  const c = decodeMachineConfig(base + "---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: from-doc\n");
  assert.equal(c.machineType, "worker");
  assert.equal(c.hostname, "from-doc");
  assert.equal(c.installImage, "ghcr.io/siderolabs/installer:v1.13.9");
  const bad: [string, RegExp][] = [
    [base + "extra: 1\n", /unknown field "extra"/],
    [base + "---\napiVersion: v1alpha1\nkind: Bogus\n", /unknown document kind "Bogus"/],
    [base + "---\napiVersion: v1alpha2\nkind: HostnameConfig\n", /unsupported apiVersion "v1alpha2"/],
    [base.replace("version: v1alpha1", "version: v2"), /unknown config version "v2"/],
    ["apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: x\n", /no v1alpha1 document/],
    [base + base, /duplicate v1alpha1 document|Map keys must be unique/],
    ["- a\n", /must be a mapping/],
  ];
  for (const [text, re] of bad) assert.throws(() => decodeMachineConfig(text), re, text);
});

test("rebootReasons: .persist changes need a reboot; network, cluster and install changes do not (CanApplyImmediate)", () => {
  const a = decodeMachineConfig(base);
  assert.deepEqual(rebootReasons(a, decodeMachineConfig(base.replace("hostname: w1", "hostname: w2"))), []);
  assert.deepEqual(rebootReasons(a, decodeMachineConfig(base.replace("clusterName: c", "clusterName: d"))), []);
  assert.deepEqual(rebootReasons(a, decodeMachineConfig(base.replace("v1.13.9", "v1.13.8"))), []);
  assert.deepEqual(rebootReasons(a, decodeMachineConfig(base + "persist: true\n")), [".persist"]);
});

test("mergePatch follows RFC 7386", () => {
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] }), {
    a: 1,
    b: { d: 3, e: 4 },
    f: [1],
  });
  assert.deepEqual(mergePatch({ spec: { unschedulable: true } }, { spec: { unschedulable: null } }), { spec: {} });
});

test("goDuration prints like Go's time.Duration", () => {
  assert.deepEqual([60_000, 2000, 90_000, 600_000].map(goDuration), ["1m0s", "2s", "1m30s", "10m0s"]);
});

test("single-file tar.gz round trip (the Kubeconfig RPC's archive)", () => {
  const data = new TextEncoder().encode("apiVersion: v1\nkind: Config\n".repeat(40));
  const archive = tarGzSingleFile("kubeconfig", data, new Date(0));
  assert.deepEqual(extractFileFromTarGz("kubeconfig", archive), data);
  assert.throws(() => extractFileFromTarGz("other", archive), /not found/);
});

test("fleetSpecFromTalconfig maps talconfig nodes onto simulated nodes", async () => {
  const { fleetSpecFromTalconfig } = await import("./from-talconfig.js");
  const { validateFleetSpec } = await import("./spec.js");
  const osCA = {
    crt: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
    key: "-----BEGIN ED25519 PRIVATE KEY-----\nx\n-----END ED25519 PRIVATE KEY-----\n",
  };
  const spec = fleetSpecFromTalconfig(
    {
      clusterName: "home",
      talosVersion: "v1.12.6",
      endpoint: "https://127.0.40.1:6443",
      nodes: [
        { hostname: "cp1", ipAddress: "127.0.40.1, 127.0.41.1", controlPlane: true },
        { hostname: "w1", ipAddress: "127.0.40.2", talosVersion: "v1.13.9" },
      ],
    },
    osCA,
  );
  assert.deepEqual(validateFleetSpec(spec).nodes, [
    { hostname: "cp1", address: "127.0.40.1", controlPlane: true, talosVersion: "v1.12.6" },
    { hostname: "w1", address: "127.0.40.2", controlPlane: false, talosVersion: "v1.13.9" },
  ]);
  assert.equal(spec.kubernetesEndpoint, "https://127.0.40.1:6443");
  assert.throws(
    () =>
      validateFleetSpec(
        fleetSpecFromTalconfig({ clusterName: "lan", nodes: [{ hostname: "a", ipAddress: "192.168.1.5" }] }, osCA),
      ),
    /not a loopback address/,
  );
});

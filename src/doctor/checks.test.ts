import assert from "node:assert/strict";
import { test } from "node:test";
import { stringify } from "yaml";
import { makeClientCert, makeOsCA } from "../sim/testing.js";
import { configDifferences, diagnose, serviceFailing, type CheckContext } from "./checks/index.js";
import { crashRestarts } from "./collect.js";
import { machineConfigFacts } from "./config-facts.js";
import { clientHealthChecks, formatHealth } from "./health.js";
import { formatFindings } from "./report.js";
import type { ClusterObservation, ExpectedNode, NodeObservation, ServiceView } from "./types.js";

const NOW = new Date("2026-11-24T06:00:00Z");
const KMOD = "siderolabs/nvidia-open-gpu-kernel-modules-production";
const TOOLKIT = "siderolabs/nvidia-container-toolkit-production";
const GPU_MODULES = ["nvidia", "nvidia_uvm", "nvidia_drm", "nvidia_modeset"];

const svc = (id: string, over: Partial<ServiceView> = {}): ServiceView => ({
  id,
  state: "Running",
  healthy: true,
  healthUnknown: false,
  message: "ok",
  restarts: 0,
  ...over,
});

const config = (machine: Record<string, unknown>, extraDocs: Record<string, unknown>[] = []) =>
  [
    stringify({ version: "v1alpha1", machine: { type: "worker", ...machine }, cluster: { clusterName: "c" } }),
    ...extraDocs.map((d) => stringify(d)),
  ].join("---\n");

/** A node that passes every check unless overridden. */
function node(over: Partial<NodeObservation> = {}): NodeObservation {
  return {
    node: "10.0.0.21",
    hostname: "w1",
    talosVersion: "v1.13.9",
    machineType: "worker",
    activeConfig: config({}),
    stage: "running",
    ready: true,
    services: [svc("apid"), svc("kubelet"), svc("containerd")],
    extensions: [],
    modules: ["overlay"],
    timeSynced: true,
    addresses: ["10.0.0.21/24"],
    routes: [{ dst: "", gateway: "10.0.0.1", table: "main" }],
    resolvers: ["1.1.1.1"],
    ...over,
  };
}

function ctx(nodes: NodeObservation[], over: Partial<CheckContext> = {}, expected: ExpectedNode[] = []): CheckContext {
  return { observation: { nodes }, expected, local: {}, now: NOW, ...over };
}

const codes = (c: CheckContext) => diagnose(c).map((f) => f.code);

test("a node that matches everything has no findings", () => {
  assert.deepEqual(diagnose(ctx([node()])), []);
});

test("GPU checks follow the NVIDIA guide of the node's Talos version", () => {
  const gpuExts = (kmodVersion = "570.172.08-v1.13.9", toolkitVersion = "570.172.08-v1.17.8") => [
    { name: KMOD, version: kmodVersion },
    { name: TOOLKIT, version: toolkitVersion },
  ];
  const modulesConfig = { kernel: { modules: GPU_MODULES.map((name) => ({ name })) } };
  const cases: [string, Partial<NodeObservation>, string[]][] = [
    [
      "complete 1.13 setup (CDI)",
      { extensions: gpuExts(), modules: GPU_MODULES, activeConfig: config(modulesConfig) },
      [],
    ],
    [
      "1.12 without bpf_jit_harden",
      {
        talosVersion: "v1.12.6",
        extensions: gpuExts("570.172.08-v1.12.6"),
        modules: GPU_MODULES,
        activeConfig: config(modulesConfig),
      },
      ["gpu-runtime-setup"],
    ],
    [
      "1.12 complete",
      {
        talosVersion: "v1.12.6",
        extensions: gpuExts("570.172.08-v1.12.6"),
        modules: GPU_MODULES,
        activeConfig: config({ ...modulesConfig, sysctls: { "net.core.bpf_jit_harden": 1 } }),
      },
      [],
    ],
    [
      "1.13 with the leftover nvidia default runtime",
      {
        extensions: gpuExts(),
        modules: GPU_MODULES,
        activeConfig: config({
          ...modulesConfig,
          files: [
            { path: "/etc/cri/conf.d/20-customization.part", op: "create", content: 'default_runtime_name = "nvidia"' },
          ],
        }),
      },
      ["gpu-runtime-setup"],
    ],
    [
      "1.14 modules as KernelModuleConfig documents",
      {
        talosVersion: "v1.14.2",
        extensions: gpuExts("570.172.08-v1.14.2"),
        modules: GPU_MODULES,
        activeConfig: config(
          {},
          GPU_MODULES.map((name) => ({ apiVersion: "v1alpha1", kind: "KernelModuleConfig", name })),
        ),
      },
      [],
    ],
    [
      "toolkit missing",
      {
        extensions: [{ name: KMOD, version: "570.172.08-v1.13.9" }],
        modules: GPU_MODULES,
        activeConfig: config(modulesConfig),
      },
      ["gpu-toolkit-missing"],
    ],
    [
      "driver built for another release",
      { extensions: gpuExts("570.172.08-v1.12.6"), modules: GPU_MODULES, activeConfig: config(modulesConfig) },
      ["gpu-driver-version"],
    ],
    [
      "toolkit for another driver",
      {
        extensions: gpuExts("570.172.08-v1.13.9", "535.247.01-v1.17.8"),
        modules: GPU_MODULES,
        activeConfig: config(modulesConfig),
      },
      ["gpu-driver-mismatch"],
    ],
    [
      "modules not configured",
      { extensions: gpuExts(), modules: [], activeConfig: config({}) },
      ["gpu-modules-not-configured"],
    ],
    [
      "modules configured, not loaded",
      { extensions: gpuExts(), modules: ["nvidia"], activeConfig: config(modulesConfig) },
      ["gpu-modules-not-loaded"],
    ],
  ];
  for (const [name, over, want] of cases) assert.deepEqual(codes(ctx([node(over)])), want, name);
});

test("a missing GPU extension says the GPU is not available and fixes with the node's installer", () => {
  const expected: ExpectedNode[] = [
    {
      hostname: "w1",
      address: "10.0.0.21",
      controlPlane: false,
      talosVersion: "v1.13.9",
      extensions: [KMOD, TOOLKIT],
      staticAddresses: [],
      nameservers: [],
      installerImage: "factory.talos.dev/metal-installer/abc:v1.13.9",
    },
  ];
  const f = diagnose(
    ctx([node({ extensions: [{ name: TOOLKIT, version: "570.172.08-v1.17.8" }], modules: [] })], {}, expected),
  );
  assert.equal(f[0]!.code, "extension-missing");
  assert.match(
    f[0]!.symptom,
    /^w1 \(10\.0\.0\.21\): system extension .*production is not installed \(GPU not available\)$/,
  );
  assert.equal(f[0]!.fix, "talform upgrade -n 10.0.0.21 --image factory.talos.dev/metal-installer/abc:v1.13.9");
  // Without a computed installer the fix asks genurl for it.
  const g = diagnose(
    ctx([node({ extensions: [] })], { local: { talconfigPath: "talconfig.yaml" } }, [
      { ...expected[0]!, installerImage: undefined as unknown as string },
    ]),
  );
  assert.match(
    g[0]!.fix,
    /talform upgrade -n 10\.0\.0\.21 --image "\$\(talform genurl installer -c talconfig\.yaml -n w1\)"/,
  );
});

test("services: failed, unhealthy and restarting are findings; finished one-shots and unknown health are not", () => {
  const table: [Partial<ServiceView>, boolean][] = [
    [{}, false],
    [{ state: "Finished" }, false],
    [{ healthUnknown: true, healthy: false }, false],
    [{ state: "Failed" }, true],
    [{ healthy: false }, true],
    [{ restarts: 2 }, true],
  ];
  for (const [over, failing] of table)
    assert.equal(serviceFailing(svc("kubelet", over)), failing, JSON.stringify(over));
  const f = diagnose(
    ctx([
      node({
        services: [svc("etcd", { state: "Preparing", healthy: false, message: "Waiting for etcd to be bootstrapped" })],
      }),
    ]),
  );
  assert.deepEqual(
    f.map((x) => [x.code, x.fix]),
    [["etcd-not-bootstrapped", "talform bootstrap -n 10.0.0.21"]],
  );
});

test("network findings compare against talconfig first, else the node's own config", () => {
  const own = config({
    network: {
      nameservers: ["10.0.0.53"],
      interfaces: [{ interface: "eth0", addresses: ["10.0.0.21/24", "10.0.1.21/24"] }],
    },
  });
  assert.deepEqual(codes(ctx([node({ activeConfig: own })])), ["network-address-missing", "network-resolvers"]);
  const expected: ExpectedNode[] = [
    {
      hostname: "w1",
      address: "10.0.0.21",
      controlPlane: false,
      talosVersion: "v1.13.9",
      extensions: [],
      staticAddresses: ["10.0.0.21/24"],
      nameservers: ["1.1.1.1"],
    },
  ];
  assert.deepEqual(codes(ctx([node({ activeConfig: own })], {}, expected)), []);
  assert.deepEqual(codes(ctx([node({ routes: [{ dst: "10.0.0.0/24", gateway: "", table: "main" }] })])), [
    "network-no-default-route",
  ]);
});

test("an unreachable node is one finding and the others are still checked", () => {
  const f = diagnose(
    ctx([{ node: "10.0.0.9", unreachable: "10.0.0.9: connect ECONNREFUSED" }, node({ timeSynced: false })]),
  );
  assert.deepEqual(
    f.map((x) => `${x.code}@${x.node}`),
    ["node-unreachable@10.0.0.9", "time-not-synced@10.0.0.21"],
  );
});

test("version skew without a talconfig: nodes on different Talos versions", () => {
  const f = diagnose(ctx([node(), node({ node: "10.0.0.22", hostname: "w2", talosVersion: "v1.12.6" })]));
  assert.deepEqual(
    f.map((x) => x.code),
    ["talos-version-skew"],
  );
  assert.deepEqual(f[0]!.evidence, ["Version v1.13.9: 10.0.0.21", "Version v1.12.6: 10.0.0.22"]);
});

test("talosconfig client certificate: fine, expiring within 30 days, expired", async () => {
  const ca = await makeOsCA();
  const cert = await makeClientCert(ca, ["os:admin"]); // valid 365 days from now
  const at = (days: number) => new Date(Date.now() + days * 24 * 3600 * 1000);
  const local = { talosconfig: { path: "clusterconfig/talosconfig", crt: cert.crt, ca: ca.crt } };
  assert.deepEqual(codes(ctx([], { local, now: at(0) })), []);
  const soon = diagnose(ctx([], { local, now: at(350) }));
  assert.deepEqual(
    soon.map((f) => f.severity),
    ["warning"],
  );
  assert.match(soon[0]!.symptom, /expires in 1[45] days/);
  const expired = diagnose(ctx([], { local, now: at(400) }));
  assert.deepEqual(
    expired.map((f) => f.severity),
    ["error"],
  );
  assert.match(expired[0]!.symptom, /expired on /);
});

test("secrets identity: the bundle's OS CA against the node's machine config, else the talosconfig CA", async () => {
  const [cluster, other] = await Promise.all([makeOsCA(), makeOsCA()]);
  const withCa = config({ ca: { crt: Buffer.from(cluster.crt).toString("base64"), key: "" } });
  assert.deepEqual(
    codes(
      ctx([node({ activeConfig: withCa })], {
        local: { secrets: { file: "talsecret.sops.yaml", osCaCrt: cluster.crt } },
      }),
    ),
    [],
  );
  assert.deepEqual(
    codes(
      ctx([node({ activeConfig: withCa })], {
        local: { secrets: { file: "talsecret.sops.yaml", osCaCrt: other.crt } },
      }),
    ),
    ["secrets-identity"],
  );
  assert.deepEqual(
    codes(
      ctx([], {
        local: { secrets: { file: "s.yaml", osCaCrt: other.crt }, talosconfig: { path: "tc", ca: cluster.crt } },
      }),
    ),
    ["secrets-identity"],
  );
});

test("configDifferences names top-level sections and documents, ignoring formatting", () => {
  const a = config({ nodeLabels: { a: "1" } }, [
    { apiVersion: "v1alpha1", kind: "KernelModuleConfig", name: "nvidia" },
  ]);
  const reformatted = a.replace(/nodeLabels:\n\s+a: "?1"?/, 'nodeLabels: {a: "1"}');
  assert.deepEqual(configDifferences(a, reformatted), []);
  const b = config({ nodeLabels: { a: "2" } });
  assert.deepEqual(configDifferences(a, b), [
    ".machine.nodeLabels",
    "KernelModuleConfig nvidia (only in the rendered config)",
  ]);
});

test("machineConfigFacts reads v1alpha1 and multi-doc forms, skipping unknown kinds", () => {
  const text = config(
    {
      network: { interfaces: [{ addresses: ["10.0.0.2/24"], vlans: [{ vlanId: 5, addresses: ["10.5.0.2/24"] }] }] },
      kubelet: { image: "ghcr.io/siderolabs/kubelet:v1.33.1" },
      nodeTaints: { gpu: "true:NoSchedule" },
    },
    [
      { apiVersion: "v1alpha1", kind: "ResolverConfig", nameservers: [{ address: "9.9.9.9" }] },
      { apiVersion: "v1alpha1", kind: "TimeSyncConfig", ntp: { servers: ["ntp.example"] } },
      { apiVersion: "v1alpha1", kind: "FutureKind", whatever: 1 },
    ],
  );
  const f = machineConfigFacts(text);
  assert.deepEqual(f.addresses, ["10.0.0.2/24", "10.5.0.2/24"]);
  assert.deepEqual(f.nameservers, ["9.9.9.9"]);
  assert.deepEqual(f.timeServers, ["ntp.example"]);
  assert.equal(f.kubeletVersion, "v1.33.1");
  assert.deepEqual(f.nodeTaints, { gpu: "true:NoSchedule" });
});

test("client-side health checks over an observation", () => {
  const cp = node({
    node: "10.0.0.11",
    hostname: "cp1",
    machineType: "controlplane",
    services: [svc("etcd"), svc("kubelet")],
  });
  const healthy: ClusterObservation = {
    nodes: [cp, node()],
    etcd: { members: [{ hostname: "cp1", peerUrls: ["https://10.0.0.11:2380"] }], status: { "10.0.0.11": undefined } },
    kubernetes: {
      nodes: [
        { name: "cp1", ready: true, labels: {}, taints: [], kubeletVersion: "v1.33.0", internalIPs: ["10.0.0.11"] },
        { name: "w1", ready: true, labels: {}, taints: [], kubeletVersion: "v1.33.0", internalIPs: ["10.0.0.21"] },
      ],
    },
  };
  assert.deepEqual(
    clientHealthChecks(healthy, ["10.0.0.11"]).filter((c) => !c.ok),
    [],
  );
  const broken: ClusterObservation = {
    nodes: [
      { ...cp, stage: "booting", ready: false },
      { node: "10.0.0.21", unreachable: "connection refused" },
    ],
    etcd: {
      members: [{ hostname: "old-cp", peerUrls: ["https://10.0.0.99:2380"] }],
      status: { "10.0.0.11": "etcdserver: request timed out" },
    },
    kubernetes: {
      nodes: [
        { name: "cp1", ready: false, labels: {}, taints: [], kubeletVersion: "v1.33.0", internalIPs: ["10.0.0.11"] },
      ],
    },
  };
  const text = formatHealth(clientHealthChecks(broken, ["10.0.0.11"]));
  assert.equal(
    text,
    [
      "FAIL  apid reachable on every node: 10.0.0.21: connection refused",
      // 10.0.0.21 is unreachable: what could not be checked there is UNKNOWN, never OK.
      "UNKNOWN  services up: 10.0.0.21: not checked (unreachable)",
      "FAIL  etcd members == control planes: 10.0.0.11 (cp1) is not an etcd member; etcd member old-cp is not a control-plane node",
      "FAIL  etcd healthy: 10.0.0.11: etcdserver: request timed out",
      "FAIL  boot finished: 10.0.0.11: stage booting, not ready; 10.0.0.21: not checked (unreachable)",
      "UNKNOWN  time synced: 10.0.0.21: not checked (unreachable)",
      "FAIL  Kubernetes nodes Ready: cp1: not Ready; 10.0.0.21: not registered in Kubernetes",
      "",
    ].join("\n"),
  );
});

test("the text report shows symptom, evidence and fix per finding", () => {
  const f = diagnose(ctx([node({ timeSynced: false })]));
  const text = formatFindings(f, ["secrets talsecret.sops.yaml not checked: no age key"]);
  assert.match(text, /^ERROR w1 \(10\.0\.0\.21\): the clock is not synchronized .*\[time-not-synced\]$/m);
  assert.match(text, /^ {6}evidence: TimeStatus on 10\.0\.0\.21: synced false$/m);
  assert.match(text, /^ {6}fix: {6}make time\.cloudflare\.com/m);
  assert.match(text, /^note: secrets talsecret\.sops\.yaml not checked/m);
  assert.match(text, /doctor: 1 finding \(1 errors\)\n$/);
});

test("Kubernetes: the API failing while etcd runs, and a node that is not Ready", () => {
  const cp = node({ node: "10.0.0.11", hostname: "cp1", machineType: "controlplane" });
  const etcd = { members: [{ hostname: "cp1", peerUrls: ["https://10.0.0.11:2380"] }] };
  const down = diagnose(
    ctx([cp], { observation: { nodes: [cp], etcd, kubernetes: { error: "connect ECONNREFUSED 10.0.0.11:6443" } } }),
  );
  assert.deepEqual(
    down.map((f) => [f.code, f.fix]),
    [["kubernetes-api", "read `talform logs -k kube-system/kube-apiserver-cp1 -n 10.0.0.11` for the cause"]],
  );
  // Before bootstrap there is no API to ask: not a finding of its own.
  assert.deepEqual(diagnose(ctx([cp], { observation: { nodes: [cp], kubernetes: { error: "ECONNREFUSED" } } })), []);
  const notReady = diagnose(
    ctx([cp], {
      observation: {
        nodes: [cp],
        etcd,
        kubernetes: {
          nodes: [{ name: "cp1", ready: false, labels: {}, taints: [], kubeletVersion: "v1.33.0", internalIPs: [] }],
        },
      },
    }),
  );
  assert.deepEqual(
    notReady.map((f) => f.code),
    ["kubernetes-node-not-ready"],
  );
});

test("crash restarts count Running → Waiting/Failed, not deliberate stops", () => {
  const ev = (...states: string[]) => states.map((state) => ({ state }));
  assert.equal(crashRestarts(ev("Waiting", "Preparing", "Running")), 0);
  assert.equal(crashRestarts(ev("Running", "Stopping", "Finished", "Preparing", "Running")), 0);
  assert.equal(crashRestarts(ev("Running", "Waiting", "Running", "Failed", "Running", "Waiting")), 3);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TalosContract } from "../contract/index.js";
import { makeTestBundle } from "../machineconfig/test-support.js";
import { decodeMachineConfig, documentKind, validateMachineConfig, type YamlMap } from "../machineconfig/index.js";
import { loadTalconfig, type LoadedTalconfig } from "../talconfig/index.js";
import { renderNode } from "./render-node.js";
import { testTempDir } from "../util/test-temp.js";

const bundle = await makeTestBundle();
const VERSIONS = ["v1.10.9", "v1.11.6", "v1.12.0", "v1.13.9", "v1.14.1"];

async function load(yaml: string, files: Record<string, string> = {}): Promise<LoadedTalconfig> {
  const dir = await testTempDir("talform-genconfig-");
  await writeFile(join(dir, "talconfig.yaml"), yaml);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const loaded = await loadTalconfig({ path: join(dir, "talconfig.yaml"), env: {} });
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  assert.deepEqual(errors, []);
  return loaded;
}

function render(loaded: LoadedTalconfig, hostname = loaded.nodes[0]!.hostname) {
  const node = loaded.nodes.find((n) => n.hostname === hostname)!;
  const contract = TalosContract.parse(node.talosVersion)!;
  return {
    contract,
    ...renderNode(node, {
      config: loaded.config!,
      bundle,
      contract,
      installImage: (n) => `factory.talos.dev/metal-installer/abc:${n.talosVersion}`,
      readFile: (p) => readFileSync(p, "utf8"),
      env: loaded.env,
      dir: loaded.dir,
    }),
  };
}

const kinds = (docs: readonly YamlMap[]) =>
  docs.map((d) => (d.get("name") ? `${documentKind(d)}/${String(d.get("name"))}` : documentKind(d)));
const get = (d: YamlMap | undefined, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v instanceof Map ? v.get(k) : undefined), d);
const v1 = (docs: readonly YamlMap[]) => docs.find((d) => documentKind(d) === "v1alpha1");
const byKind = (docs: readonly YamlMap[], kind: string) => docs.filter((d) => documentKind(d) === kind);

const base = (version: string, node: string) => `clusterName: home
talosVersion: ${version}
kubernetesVersion: v1.33.0
endpoint: https://192.168.1.10:6443
nodes:
${node}`;

for (const version of VERSIONS) {
  test(`${version}: every rendered node decodes strictly and passes metal validation`, async () => {
    const loaded = await load(
      base(
        version,
        `  - hostname: cp1
    ipAddress: 192.168.1.11
    controlPlane: true
    installDisk: /dev/sda
    nameservers: [1.1.1.1]
    networkInterfaces:
      - interface: eth0
        addresses: [192.168.1.11/24]
        routes: [{network: 0.0.0.0/0, gateway: 192.168.1.1}]
        vip: {ip: 192.168.1.10}
    nodeLabels: {zone: a}
    nodeTaints: {dedicated: "gpu:NoSchedule"}
    kernelModules: [{name: br_netfilter}]
    presets: [nvidia-gpu, longhorn]
  - hostname: w1
    ipAddress: 192.168.1.21
    installDisk: /dev/nvme0n1
    certSANs: [w1.lan]
`,
      ),
    );
    for (const node of loaded.nodes) {
      const { text, contract, documents } = render(loaded, node.hostname);
      const decoded = decodeMachineConfig(text, contract);
      assert.deepEqual(
        decoded.errors.map((d) => d.message),
        [],
        `${node.hostname}\n${text}`,
      );
      const findings = validateMachineConfig(documents, contract, { mode: "metal" }).filter(
        (d) => d.severity === "error",
      );
      assert.deepEqual(findings, [], node.hostname);
      assert.ok(!text.includes("{{"), "no template text");
    }
  });
}

test("hostname: legacy machine.network.hostname before 1.12, HostnameConfig (auto: off) from 1.12, auto: stable with ignoreHostname", async () => {
  const node = `  - hostname: n1
    ipAddress: 10.0.0.1
    installDisk: /dev/sda
`;
  const old = render(await load(base("v1.11.6", node)));
  assert.equal(get(v1(old.documents), "machine", "network", "hostname"), "n1");
  assert.equal(byKind(old.documents, "HostnameConfig").length, 0);
  const neu = render(await load(base("v1.12.0", node)));
  const hc = byKind(neu.documents, "HostnameConfig");
  assert.equal(hc.length, 1);
  assert.equal(hc[0]!.get("hostname"), "n1");
  assert.equal(hc[0]!.get("auto"), "off");
  assert.equal(get(v1(neu.documents), "machine", "network", "hostname"), undefined);
  const ignored = render(await load(base("v1.12.0", `${node}    ignoreHostname: true\n`)));
  assert.equal(byKind(ignored.documents, "HostnameConfig")[0]!.get("auto"), "stable");
  assert.equal(byKind(ignored.documents, "HostnameConfig")[0]!.get("hostname"), undefined);
});

test("network interfaces: legacy list before 1.12; multi-document conversion from 1.12 (aliases, bond members, VLAN, DHCP, VIP)", async () => {
  const node = `  - hostname: n1
    ipAddress: 10.0.0.1
    installDisk: /dev/sda
    networkInterfaces:
      - interface: bond0
        bond: {mode: 802.3ad, deviceSelectors: [{hardwareAddr: "00:50:56:*"}, {driver: mlx5_core}]}
        addresses: [10.0.0.1/24]
        routes: [{network: 0.0.0.0/0, gateway: 10.0.0.254}]
        vlans: [{vlanId: 20, addresses: [10.20.0.1/24], dhcp: true, vip: {ip: 10.20.0.100}}]
      - deviceSelector: {hardwareAddr: "aa:bb:*", physical: true}
        dhcp: true
        dhcpOptions: {ipv6: true, routeMetric: 100}
        mtu: 9000
`;
  const old = render(await load(base("v1.11.6", node)));
  assert.equal((get(v1(old.documents), "machine", "network", "interfaces") as unknown[]).length, 2);
  const { documents } = render(await load(base("v1.12.0", node)));
  assert.deepEqual(kinds(documents).slice(2), [
    "LinkAliasConfig/ethSel0",
    "LinkAliasConfig/bond0-m0",
    "LinkAliasConfig/bond0-m1",
    "BondConfig/bond0",
    "DHCPv4Config/ethSel0",
    "DHCPv6Config/ethSel0",
    "LinkConfig/ethSel0",
    "VLANConfig/bond0.20",
    "DHCPv4Config/bond0.20",
    "Layer2VIPConfig/10.20.0.100",
  ]);
  const alias = byKind(documents, "LinkAliasConfig")[0]!;
  assert.equal(get(alias, "selector", "match"), 'glob("aa:bb:*", mac(link.hardware_addr)) && link.type == 1');
  const bond = byKind(documents, "BondConfig")[0]!;
  assert.deepEqual(bond.get("links"), ["bond0-m0", "bond0-m1"]);
  assert.equal(bond.get("bondMode"), "802.3ad");
  const routes = bond.get("routes") as YamlMap[];
  assert.equal(routes[0]!.get("destination"), undefined, "default route has no destination");
  assert.equal(routes[0]!.get("gateway"), "10.0.0.254");
  assert.equal(byKind(documents, "DHCPv6Config")[0]!.get("routeMetric"), 100);
});

test("network conversion: dummy, hcloud VIP, bridgePort and cidr become documents; ignore and equinixMetal fail clearly", async () => {
  const node = (interfaces: string) =>
    `  - hostname: n1\n    ipAddress: 10.0.0.1\n    installDisk: /dev/sda\n    networkInterfaces:\n${interfaces}`;
  const { documents } = render(
    await load(
      base(
        "v1.12.0",
        node(`      - interface: dummy0
        dummy: true
        addresses: [169.254.10.1/32]
      - interface: eth0
        cidr: 10.0.0.1/24
        vip: {ip: 10.0.0.100, hcloud: {apiToken: tok}}
      - interface: eth1
        bridgePort: {master: br0}
      - interface: br0
        bridge: {interfaces: [eth2]}
        addresses: [10.30.0.1/24]
`),
      ),
    ),
  );
  assert.deepEqual(kinds(documents).slice(2), [
    "HCloudVIPConfig/10.0.0.100",
    "LinkConfig/eth0",
    "DummyLinkConfig/dummy0",
    "BridgeConfig/br0",
  ]);
  assert.deepEqual(
    (get(byKind(documents, "DummyLinkConfig")[0]!, "addresses") as YamlMap[]).map((a) => a.get("address")),
    ["169.254.10.1/32"],
  );
  assert.deepEqual(
    (get(byKind(documents, "LinkConfig")[0]!, "addresses") as YamlMap[]).map((a) => a.get("address")),
    ["10.0.0.1/24"],
  );
  const vip = byKind(documents, "HCloudVIPConfig")[0]!;
  assert.deepEqual([vip.get("link"), vip.get("apiToken")], ["eth0", "tok"]);
  assert.deepEqual(byKind(documents, "BridgeConfig")[0]!.get("links"), ["eth2", "eth1"]);

  const failures: [string, RegExp][] = [
    ["      - interface: eth0\n        ignore: true\n", /ignore.*no multi-document equivalent/],
    [
      "      - interface: eth0\n        vip: {ip: 10.0.0.100, equinixMetal: {apiToken: t}}\n",
      /equinixMetal has no multi-document equivalent/,
    ],
    ["      - interface: eth1\n        bridgePort: {master: br9}\n", /"br9" is not a bridge/],
  ];
  for (const [interfaces, error] of failures) {
    const loaded = await load(base("v1.12.0", node(interfaces)));
    assert.throws(() => render(loaded), error);
  }
});

test("nameservers/disableSearchDomain: legacy fields before 1.12, ResolverConfig after", async () => {
  const node = `  - hostname: n1
    ipAddress: 10.0.0.1
    installDisk: /dev/sda
    nameservers: [1.1.1.1, 8.8.8.8]
    disableSearchDomain: true
`;
  const old = render(await load(base("v1.10.9", node)));
  assert.deepEqual(get(v1(old.documents), "machine", "network", "nameservers"), ["1.1.1.1", "8.8.8.8"]);
  assert.equal(get(v1(old.documents), "machine", "network", "disableSearchDomain"), true);
  for (const version of ["v1.12.0", "v1.14.1"]) {
    const neu = render(await load(base(version, node)));
    const rc = byKind(neu.documents, "ResolverConfig");
    assert.equal(rc.length, 1, version);
    assert.deepEqual(
      (rc[0]!.get("nameservers") as YamlMap[]).map((n) => n.get("address")),
      ["1.1.1.1", "8.8.8.8"],
    );
    assert.equal(get(rc[0], "searchDomains", "disableDefault"), true);
  }
  const v14 = render(await load(base("v1.14.1", node)));
  assert.equal(
    get(byKind(v14.documents, "ResolverConfig")[0], "hostDNS", "enabled"),
    true,
    "merged into the generated ResolverConfig",
  );
});

test("install: disk/selector, installer image, schematic kernel args only before 1.12; UnattendedInstallConfig on 1.14", async () => {
  const node = (v: string) =>
    base(
      v,
      `  - hostname: n1
    ipAddress: 10.0.0.1
    installDisk: /dev/sda
    schematic: {customization: {extraKernelArgs: [net.ifnames=0]}}
`,
    );
  const old = render(await load(node("v1.11.6")));
  assert.equal(get(v1(old.documents), "machine", "install", "disk"), "/dev/sda");
  assert.equal(get(v1(old.documents), "machine", "install", "image"), "factory.talos.dev/metal-installer/abc:v1.11.6");
  assert.deepEqual(get(v1(old.documents), "machine", "install", "extraKernelArgs"), ["net.ifnames=0"]);
  const v12 = render(await load(node("v1.12.0")));
  assert.equal(
    get(v1(v12.documents), "machine", "install", "extraKernelArgs"),
    undefined,
    "grubUseUKICmdline default from 1.12",
  );
  const v14 = render(await load(node("v1.14.1")));
  assert.equal(get(v1(v14.documents), "machine", "install"), undefined);
  const uic = byKind(v14.documents, "UnattendedInstallConfig")[0]!;
  assert.equal(get(uic, "installer", "image"), "factory.talos.dev/metal-installer/abc:v1.14.1");
  assert.equal(get(uic, "provisioning", "diskSelector", "match"), 'disk.dev_path == "/dev/sda"');
});

test("kernel modules: machine.kernel up to 1.13, KernelModuleConfig on 1.14", async () => {
  const node = (v: string) =>
    base(
      v,
      `  - hostname: n1\n    ipAddress: 10.0.0.1\n    installDisk: /dev/sda\n    kernelModules: [{name: zfs, parameters: [a=1]}]\n`,
    );
  const old = render(await load(node("v1.13.9")));
  assert.deepEqual((get(v1(old.documents), "machine", "kernel", "modules") as YamlMap[])[0]!.get("name"), "zfs");
  const neu = render(await load(node("v1.14.1")));
  assert.deepEqual(kinds(byKind(neu.documents, "KernelModuleConfig")), ["KernelModuleConfig/zfs"]);
  assert.deepEqual(byKind(neu.documents, "KernelModuleConfig")[0]!.get("parameters"), ["a=1"]);
});

test("labels, annotations and taints replace the generated ones (talhelper), templates rendered over Go field names", async () => {
  const loaded = await load(
    base(
      "v1.11.6",
      `  - hostname: cp1
    ipAddress: 10.0.0.1
    controlPlane: true
    installDisk: /dev/sda
    nodeLabels:
      rack: r1
      secure: '{{ .MachineConfig.MachineInstall.InstallImage | contains "secureboot" }}'
    nodeAnnotations:
      installer: "{{ .MachineConfig.MachineInstall.InstallImage }}"
      type: "{{ .MachineConfig.MachineType }}"
    nodeTaints: {gpu: "true:NoSchedule"}
`,
    ),
  );
  const { documents } = render(loaded);
  const m = get(v1(documents), "machine") as YamlMap;
  assert.deepEqual(
    [...(m.get("nodeLabels") as YamlMap)],
    [
      ["rack", "r1"],
      ["secure", "false"],
    ],
  );
  assert.deepEqual(
    [...(m.get("nodeAnnotations") as YamlMap)],
    [
      ["installer", "factory.talos.dev/metal-installer/abc:v1.11.6"],
      ["type", "controlplane"],
    ],
  );
  assert.deepEqual([...(m.get("nodeTaints") as YamlMap)], [["gpu", "true:NoSchedule"]]);
});

test("a template over an unknown field fails with an error, never emits template text", async () => {
  const loaded = await load(
    base(
      "v1.11.6",
      `  - hostname: n1\n    ipAddress: 10.0.0.1\n    installDisk: /dev/sda\n    nodeLabels: {x: "{{ .Nope.Field }}"}\n`,
    ),
  );
  assert.throws(() => render(loaded), /can't evaluate field Nope/);
});

test("labels on 1.14 merge into KubeNodeConfig and keep the control-plane role label and taint", async () => {
  const { documents } = render(
    await load(
      base(
        "v1.14.1",
        `  - hostname: cp1\n    ipAddress: 10.0.0.1\n    controlPlane: true\n    installDisk: /dev/sda\n    nodeLabels: {zone: a}\n`,
      ),
    ),
  );
  const knc = byKind(documents, "KubeNodeConfig")[0]!;
  assert.deepEqual(
    [...(knc.get("labels") as YamlMap).keys()],
    ["node-role.kubernetes.io/control-plane", "node.kubernetes.io/exclude-from-external-load-balancers", "zone"],
  );
  assert.ok(knc.get("taints") instanceof Map);
});

test("patches apply group → node → global; @file patches are templated and env-substituted", async () => {
  const loaded = await load(
    `clusterName: home
talosVersion: v1.11.6
kubernetesVersion: v1.33.0
endpoint: https://10.0.0.10:6443
patches:
  - |-
    machine:
      env:
        ORDER: global
nodes:
  - hostname: w1
    ipAddress: 10.0.0.1
    installDisk: /dev/sda
    patches:
      - "@./node.yaml"
worker:
  patches:
    - |-
      machine:
        env:
          ORDER: group
          GROUP: "yes"
`,
    {
      "node.yaml":
        "machine:\n  env:\n    ORDER: node\n    HOST: '{{ .MachineConfig.MachineNetwork.NetworkHostname }}'\n",
    },
  );
  const env = get(v1(render(loaded).documents), "machine", "env") as YamlMap;
  assert.equal(env.get("ORDER"), "global");
  assert.equal(env.get("GROUP"), "yes");
  assert.equal(env.get("HOST"), "w1");
});

test("JSON6902 patches on multi-document configs fail with the fix named", async () => {
  const loaded = await load(
    base(
      "v1.12.0",
      `  - hostname: n1\n    ipAddress: 10.0.0.1\n    installDisk: /dev/sda\n    patches:\n      - '[{"op": "add", "path": "/machine/env", "value": {"A": "b"}}]'\n`,
    ),
  );
  assert.throws(() => render(loaded), /JSON6902 patches are not supported for multi-document/);
});

test("presets: nvidia-gpu per version, longhorn kubelet mount", async () => {
  const node = (v: string) =>
    base(
      v,
      `  - hostname: gpu1\n    ipAddress: 10.0.0.1\n    installDisk: /dev/sda\n    presets: [nvidia-gpu, longhorn]\n`,
    );
  const v12 = render(await load(node("v1.12.0")));
  const m12 = get(v1(v12.documents), "machine") as YamlMap;
  assert.deepEqual(
    (get(m12, "kernel", "modules") as YamlMap[]).map((x) => x.get("name")),
    ["nvidia", "nvidia_uvm", "nvidia_drm", "nvidia_modeset"],
  );
  assert.equal(get(m12, "sysctls", "net.core.bpf_jit_harden"), "1");
  assert.equal((m12.get("files") as YamlMap[])[0]!.get("path"), "/etc/cri/conf.d/20-customization.part");
  assert.equal((get(m12, "kubelet", "extraMounts") as YamlMap[])[0]!.get("destination"), "/var/lib/longhorn");
  const v13 = render(await load(node("v1.13.9")));
  const m13 = get(v1(v13.documents), "machine") as YamlMap;
  assert.equal(m13.get("sysctls"), undefined, "CDI from 1.13: no sysctl");
  assert.equal(m13.get("files"), undefined);
  const v14 = render(await load(node("v1.14.1")));
  assert.equal(byKind(v14.documents, "KernelModuleConfig").length, 4);
  // 1.14: the kubelet is a KubeletConfig document, which takes no mounts, and a legacy machine.kubelet is refused.
  assert.equal(get(v1(v14.documents), "machine", "kubelet"), undefined);
  assert.equal(byKind(v14.documents, "KubeletConfig").length, 1);
});

test("cluster keys: cniConfig, inlineManifests, pod/service nets, domain, SANs, scheduling on control planes", async () => {
  const cfg = (v: string) => `clusterName: home
talosVersion: ${v}
kubernetesVersion: v1.33.0
endpoint: https://10.0.0.10:6443
domain: home.lan
allowSchedulingOnControlPlanes: true
additionalApiServerCertSans: [api.home.lan]
additionalMachineCertSans: [10.0.0.10]
clusterPodNets: [10.100.0.0/16]
clusterSvcNets: [10.101.0.0/16]
cniConfig: {name: none}
inlineManifests:
  - name: ns
    contents: "@./ns.yaml"
nodes:
  - hostname: cp1
    ipAddress: 10.0.0.1
    controlPlane: true
    installDisk: /dev/sda
`;
  const files = { "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n" };
  const old = render(await load(cfg("v1.13.9"), files));
  const c = get(v1(old.documents), "cluster") as YamlMap;
  assert.equal(get(c, "network", "cni", "name"), "none");
  assert.deepEqual(get(c, "network", "podSubnets"), ["10.100.0.0/16"]);
  assert.equal(get(c, "network", "dnsDomain"), "home.lan");
  assert.deepEqual(get(c, "apiServer", "certSANs"), ["api.home.lan"]);
  assert.deepEqual(get(v1(old.documents), "machine", "certSANs"), ["10.0.0.10"]);
  assert.equal(c.get("allowSchedulingOnControlPlanes"), true);
  assert.equal((c.get("inlineManifests") as YamlMap[])[0]!.get("name"), "ns");
  const neu = render(await load(cfg("v1.14.1"), files));
  assert.equal(byKind(neu.documents, "KubeFlannelCNIConfig").length, 0);
  assert.equal(byKind(neu.documents, "KubeInlineManifestConfig")[0]!.get("name"), "ns");
  assert.deepEqual(byKind(neu.documents, "KubeNetworkConfig")[0]!.get("podSubnets"), ["10.100.0.0/16"]);
});

test("extraManifests (deprecated, as in talhelper): files templated against the config, documents appended; non-Talos documents fail", async () => {
  const manifest =
    "apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data-{{ .MachineConfig.MachineType }}\nprovisioning:\n  diskSelector:\n    match: '!system_disk'\n  minSize: 10GiB\n";
  const loaded = await load(
    base(
      "v1.12.0",
      `  - hostname: n1\n    ipAddress: 10.0.0.1\n    installDisk: /dev/sda\n    extraManifests: [m.yaml]\n`,
    ),
    { "m.yaml": manifest },
  );
  const { documents, text } = render(loaded);
  assert.equal(kinds(documents).at(-1), "UserVolumeConfig/data-worker");
  assert.match(text, /\nkind: UserVolumeConfig\nname: data-worker\n/);

  const k8s = await load(
    base(
      "v1.12.0",
      `  - hostname: n1\n    ipAddress: 10.0.0.1\n    installDisk: /dev/sda\n    extraManifests: ["@k.yaml"]\n`,
    ),
    { "k.yaml": "# a Kubernetes list\n- a\n" },
  );
  assert.throws(() => render(k8s), /extraManifests @k\.yaml: document 1 is not a Talos config document/);
});

test("machineFiles: permissions are written in octal as Talos writes them, @file content loaded", async () => {
  const loaded = await load(
    base(
      "v1.12.0",
      `  - hostname: n1\n    ipAddress: 10.0.0.1\n    installDisk: /dev/sda\n    machineFiles:\n      - {content: "@./f.env", permissions: 0o600, path: /var/etc/f.env, op: create}\n`,
    ),
    { "f.env": "A=1\n" },
  );
  const { text } = render(loaded);
  assert.match(
    text,
    /\n {8}- content: \|\n {12}A=1\n {10}permissions: 0o600\n {10}path: \/var\/etc\/f\.env\n {10}op: create\n/,
  );
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { loadTalconfig } from "../loader.js";
import { BASE_TALCONFIG, memFiles } from "../testdata/memfs.js";
import { loadTalformSettings, POLICY_RULES, sopsEncryptsPath, validateTalconfig, type PolicyContext } from "./index.js";
import { json6902AsObject } from "./node-facts.js";

const T = "/repo/talconfig.yaml";

/** A clean seed-like cluster: static addresses, nameservers, time servers, a GPU worker set up for Talos 1.13. */
const SEED = `clusterName: seed
talosVersion: v1.13.9
kubernetesVersion: v1.35.0
endpoint: https://10.0.0.10:6443
patches:
  - "machine: {time: {servers: [time.cloudflare.com]}}"
controlPlane:
  nameservers: [1.1.1.1, 1.0.0.1]
  schematic:
    customization:
      systemExtensions:
        officialExtensions: [siderolabs/amd-ucode]
worker:
  nameservers: [1.1.1.1, 1.0.0.1]
nodes:
  - hostname: cp1
    ipAddress: 10.0.0.11
    controlPlane: true
    installDisk: /dev/sda
    networkInterfaces:
      - interface: eth0
        addresses: [10.0.0.11/24]
  - hostname: gpu1
    ipAddress: 10.0.0.21
    controlPlane: false
    installDisk: /dev/sda
    networkInterfaces:
      - interface: eth0
        addresses: [10.0.0.21/24]
    kernelModules: [{name: nvidia}, {name: nvidia_uvm}, {name: nvidia_drm}, {name: nvidia_modeset}]
    schematic:
      customization:
        systemExtensions:
          officialExtensions:
            - siderolabs/nonfree-kmod-nvidia-production
            - siderolabs/nvidia-container-toolkit-production
`;

const LEGACY_GPU_PATCH = `machine:
  sysctls:
    net.core.bpf_jit_harden: "1"
  files:
    - path: /etc/cri/conf.d/20-customization.part
      op: create
      content: |
        [plugins."io.containerd.cri.v1.runtime".containerd]
          default_runtime_name = "nvidia"
`;

const SOPS_BUNDLE = "cluster:\n  id: ENC[AES256_GCM,data:x]\nsops:\n  mac: ENC[AES256_GCM,data:y]\n  version: 3.9.0\n";

async function run(text: string, files: Record<string, string> = {}, ctx: Partial<PolicyContext> = {}) {
  const all: Record<string, string> = { [T]: text, ...files };
  const loaded = await loadTalconfig({ path: T, readFile: memFiles(all) });
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === "error"),
    [],
    "fixture must load",
  );
  return validateTalconfig(loaded, {
    talconfigDir: dirname(T),
    files: {
      exists: (p) => p in all,
      read: (p) => all[p],
      list: (dir) =>
        Object.keys(all)
          .filter((p) => dirname(p) === dir)
          .map((p) => p.slice(dir.length + 1)),
    },
    disabledRules: new Set(),
    ...ctx,
  });
}
const codes = (ds: { code: string; node?: string }[]) => ds.map((d) => `${d.code}${d.node ? `@${d.node}` : ""}`);

test("the seed-like cluster is clean", async () => {
  assert.deepEqual(codes(await run(SEED)), []);
});

test("every rule has a unique code, a severity and a summary", () => {
  assert.equal(new Set(POLICY_RULES.map((r) => r.code)).size, POLICY_RULES.length);
  for (const r of POLICY_RULES) assert.ok(r.summary.length > 10 && /^[a-z0-9-]+$/.test(r.code), r.code);
});

const withExtensions = (exts: string[]) =>
  SEED.replace(
    "            - siderolabs/nonfree-kmod-nvidia-production\n            - siderolabs/nvidia-container-toolkit-production\n",
    exts.map((e) => `            - ${e}\n`).join(""),
  );

test("gpu-container-toolkit fires without the toolkit, not with it", async () => {
  assert.deepEqual(codes(await run(withExtensions(["siderolabs/nonfree-kmod-nvidia-production"]))), [
    "gpu-container-toolkit@gpu1",
  ]);
});

test("gpu-driver-flavour fires on mixed flavours and on two kernel-module drivers", async () => {
  assert.deepEqual(
    codes(
      await run(
        withExtensions(["siderolabs/nonfree-kmod-nvidia-production", "siderolabs/nvidia-container-toolkit-lts"]),
      ),
    ),
    ["gpu-driver-flavour@gpu1"],
  );
  assert.deepEqual(
    codes(
      await run(
        withExtensions([
          "siderolabs/nonfree-kmod-nvidia-lts",
          "siderolabs/nvidia-open-gpu-kernel-modules-lts",
          "siderolabs/nvidia-container-toolkit-lts",
        ]),
      ),
    ),
    ["gpu-driver-flavour@gpu1"],
  );
  assert.deepEqual(
    codes(
      await run(
        withExtensions(["siderolabs/nvidia-open-gpu-kernel-modules-lts", "siderolabs/nvidia-container-toolkit-lts"]),
      ),
    ),
    [],
  );
});

test("gpu-kernel-modules fires for missing modules; patches (strategic or KernelModuleConfig) count", async () => {
  const noMods = SEED.replace(
    "    kernelModules: [{name: nvidia}, {name: nvidia_uvm}, {name: nvidia_drm}, {name: nvidia_modeset}]\n",
    "    kernelModules: [{name: nvidia}]\n",
  );
  const ds = await run(noMods);
  assert.deepEqual(codes(ds), ["gpu-kernel-modules@gpu1"]);
  assert.match(ds[0]!.message, /nvidia_uvm, nvidia_drm, nvidia_modeset/);
  const viaPatch = noMods.replace(
    "    kernelModules: [{name: nvidia}]\n",
    "    kernelModules: [{name: nvidia}]\n    patches: ['@gpu.yaml']\n",
  );
  const docs = ["nvidia_uvm", "nvidia_drm", "nvidia_modeset"]
    .map((n) => `apiVersion: v1alpha1\nkind: KernelModuleConfig\nname: ${n}\n`)
    .join("---\n");
  assert.deepEqual(codes(await run(viaPatch, { "/repo/gpu.yaml": docs })), []);
});

test("gpu-runtime: Talos 1.12 needs the nvidia default runtime and bpf_jit_harden=1; 1.13 must not have them", async () => {
  const v112 = SEED.replace("talosVersion: v1.13.9", "talosVersion: v1.12.11");
  assert.deepEqual(codes(await run(v112)), ["gpu-runtime@gpu1", "gpu-runtime@gpu1"]);
  const v112Patched = v112.replace("  - hostname: gpu1\n", "  - hostname: gpu1\n    patches: ['@gpu.yaml']\n");
  assert.deepEqual(codes(await run(v112Patched, { "/repo/gpu.yaml": LEGACY_GPU_PATCH })), []);
  const v113Patched = SEED.replace("  - hostname: gpu1\n", "  - hostname: gpu1\n    patches: ['@gpu.yaml']\n");
  const ds = await run(v113Patched, { "/repo/gpu.yaml": LEGACY_GPU_PATCH });
  assert.deepEqual(codes(ds), ["gpu-runtime@gpu1", "gpu-runtime@gpu1"]);
  assert.ok(ds.every((d) => d.severity === "warning"));
});

test("gpu-runtime understands the JSON6902 form of the docs' default-runtime patch", async () => {
  const json = `- op: add
  path: /machine/files
  value:
    - content: |
        [plugins."io.containerd.cri.v1.runtime".containerd]
          default_runtime_name = "nvidia"
      path: /etc/cri/conf.d/20-customization.part
      op: create
- op: add
  path: /machine/sysctls
  value: {net.core.bpf_jit_harden: "1"}
`;
  const v112 = SEED.replace("talosVersion: v1.13.9", "talosVersion: v1.12.11").replace(
    "  - hostname: gpu1\n",
    "  - hostname: gpu1\n    patches: ['@gpu.yaml']\n",
  );
  assert.deepEqual(codes(await run(v112, { "/repo/gpu.yaml": json })), []);
  assert.deepEqual(
    json6902AsObject([
      { op: "add", path: "/machine/kernel/modules/-", value: { name: "nvidia" } },
      { op: "remove", path: "/x" },
    ]),
    { machine: { kernel: { modules: [{ name: "nvidia" }] } } },
  );
});

test("controlplane-no-nvidia fires for NVIDIA extensions, modules or runtime on a control plane", async () => {
  const cp = SEED.replace(
    "officialExtensions: [siderolabs/amd-ucode]",
    "officialExtensions: [siderolabs/nvidia-container-toolkit-production]",
  );
  const ds = await run(cp);
  assert.deepEqual(codes(ds), ["controlplane-no-nvidia@cp1"]);
  assert.equal(ds[0]!.path, "controlPlane.schematic", "inherited values are located in the group");
  const mods = SEED.replace(
    "    controlPlane: true\n",
    "    controlPlane: true\n    kernelModules: [{name: nvidia}]\n    patches: ['@gpu.yaml']\n",
  );
  assert.deepEqual(codes(await run(mods, { "/repo/gpu.yaml": LEGACY_GPU_PATCH })), [
    "controlplane-no-nvidia@cp1",
    "controlplane-no-nvidia@cp1",
  ]);
});

test("controlplane-lb-label fires only where Talos does not add the label itself", async () => {
  const old = SEED.replace("talosVersion: v1.13.9", "talosVersion: v1.7.6").replace(
    "kubernetesVersion: v1.35.0",
    "kubernetesVersion: v1.30.0",
  );
  const ds = await run(old, {}, { disabledRules: new Set(["talos-version", "gpu-runtime"]) });
  assert.deepEqual(codes(ds), ["controlplane-lb-label@cp1"]);
  const labelled = old.replace(
    "controlPlane:\n",
    'controlPlane:\n  nodeLabels: {node.kubernetes.io/exclude-from-external-load-balancers: ""}\n',
  );
  assert.deepEqual(codes(await run(labelled, {}, { disabledRules: new Set(["talos-version", "gpu-runtime"]) })), []);
});

test("longhorn-data-volume and machine-files-deprecated fire only where Talos 1.14 handles the setting differently", async () => {
  const withNode = (version: string, extra: string) =>
    SEED.replace("talosVersion: v1.13.9", `talosVersion: ${version}`).replace(
      "    controlPlane: false\n    installDisk: /dev/sda\n",
      `    controlPlane: false\n    installDisk: /dev/sda\n${extra}`,
    );
  const longhorn = "    presets: [longhorn]\n";
  const files = "    machineFiles: [{content: x, permissions: 0o644, path: /var/etc/x, op: create}]\n";
  const volume =
    "    userVolumes: [{name: longhorn, provisioning: {diskSelector: {match: '!system_disk'}, minSize: 10GiB}}]\n";
  const cases: [string, string, string[]][] = [
    ["v1.13.9", longhorn + files, []],
    ["v1.14.1", longhorn, ["longhorn-data-volume@gpu1"]],
    ["v1.14.1", longhorn + volume, []],
    ["v1.14.1", files, ["machine-files-deprecated@gpu1"]],
  ];
  for (const [version, extra, want] of cases) {
    const ds = await run(withNode(version, extra), {}, { disabledRules: new Set(["kubernetes-version"]) });
    assert.deepEqual(codes(ds), want, `${version} ${extra}`);
  }
  const [finding] = await run(withNode("v1.14.1", longhorn), {}, { disabledRules: new Set(["kubernetes-version"]) });
  assert.match(finding!.hint!, /userVolumes/);
  assert.equal(finding!.path, "nodes[1].presets");
});

test("static-addressing: DHCP, no address, ipAddress not among the addresses", async () => {
  const dhcp = SEED.replace(
    "        addresses: [10.0.0.11/24]\n",
    "        addresses: [10.0.0.11/24]\n        dhcp: true\n",
  );
  assert.deepEqual(codes(await run(dhcp)), ["static-addressing@cp1"]);
  const none = SEED.replace("    networkInterfaces:\n      - interface: eth0\n        addresses: [10.0.0.11/24]\n", "");
  assert.deepEqual(codes(await run(none)), ["static-addressing@cp1"]);
  const wrong = SEED.replace("addresses: [10.0.0.11/24]", "addresses: [10.0.0.12/24]");
  const ds = await run(wrong);
  assert.deepEqual(codes(ds), ["static-addressing@cp1"]);
  assert.equal(ds[0]!.path, "nodes[0].ipAddress");
  assert.deepEqual(ds[0]!.source, { file: T, line: 17, col: 16 });
  const viaPatch = none.replace(
    "    controlPlane: true\n",
    "    controlPlane: true\n    patches: ['machine: {network: {interfaces: [{interface: eth0, addresses: [10.0.0.11/24]}]}}']\n",
  );
  assert.deepEqual(codes(await run(viaPatch)), []);
});

test("nameservers and time-servers warn when absent", async () => {
  const ds = await run(
    SEED.replace("worker:\n  nameservers: [1.1.1.1, 1.0.0.1]\n", "").replace(
      'patches:\n  - "machine: {time: {servers: [time.cloudflare.com]}}"\n',
      "",
    ),
  );
  assert.deepEqual(codes(ds).sort(), ["nameservers@gpu1", "time-servers@cp1", "time-servers@gpu1"]);
  assert.ok(ds.every((d) => d.severity === "warning"));
  const timeDoc = SEED.replace(
    '"machine: {time: {servers: [time.cloudflare.com]}}"',
    '"apiVersion: v1alpha1\\nkind: TimeSyncConfig\\nntp:\\n  servers: [time.cloudflare.com]\\n"',
  );
  assert.deepEqual(codes(await run(timeDoc)), []);
});

test("talos-version and kubernetes-version", async () => {
  const ds = await run(
    SEED.replace("talosVersion: v1.13.9", "talosVersion: v1.2.8").replace(
      "kubernetesVersion: v1.35.0",
      "kubernetesVersion: v1.25.0",
    ),
    {},
    { disabledRules: new Set(["gpu-runtime"]) },
  );
  // Below 1.8 Talos does not label control planes for external load balancers itself (controlplane-lb-label).
  assert.deepEqual(codes(ds), ["talos-version", "controlplane-lb-label@cp1"]);
  assert.match(ds[0]!.message, /v1\.3, v1\.4, .*, v1\.14, v1\.15$/);
  const old = await run(
    SEED.replace("talosVersion: v1.13.9", "talosVersion: v1.9.5").replace(
      "kubernetesVersion: v1.35.0",
      "kubernetesVersion: v1.32.0",
    ),
    {},
    { disabledRules: new Set(["gpu-runtime"]) },
  );
  assert.deepEqual(codes(old), []);
  const dev = await run(SEED.replace("talosVersion: v1.13.9", "talosVersion: v1.15.0-alpha.1"));
  assert.deepEqual(
    dev.map((d) => [d.code, d.severity]),
    [["talos-version", "warning"]],
  );
  assert.match(dev[0]!.message, /no release talform knows of/);
  const newer = await run(SEED.replace("talosVersion: v1.13.9", "talosVersion: v1.13.12"));
  assert.deepEqual(
    newer.map((d) => [d.code, d.severity]),
    [["talos-version", "warning"]],
  );
  const k = await run(SEED.replace("kubernetesVersion: v1.35.0", "kubernetesVersion: 1.30.2"));
  assert.deepEqual(codes(k), ["kubernetes-version"]);
  assert.match(k[0]!.message, /1\.31 to 1\.36/);
  assert.deepEqual(codes(await run(SEED.replace("kubernetesVersion: v1.35.0", "kubernetesVersion: v1.36.3"))), []);
});

test("extension-name warns on unknown names, using the injected catalogue when given", async () => {
  const ds = await run(SEED.replace("siderolabs/amd-ucode", "siderolabs/amd-ucod").replace("  worker:", "  worker:"));
  assert.deepEqual(codes(ds), ["extension-name"]);
  assert.equal(ds[0]!.path, "controlPlane.schematic.customization.systemExtensions.officialExtensions[0]");
  assert.deepEqual(codes(await run(SEED.replace("siderolabs/amd-ucode", "ghcr.io/me/ext"))), ["extension-name"]);
  const catalogue = new Set([
    "siderolabs/amd-ucod",
    "siderolabs/nonfree-kmod-nvidia-production",
    "siderolabs/nvidia-container-toolkit-production",
  ]);
  assert.deepEqual(
    codes(await run(SEED.replace("siderolabs/amd-ucode", "siderolabs/amd-ucod"), {}, { knownExtensions: catalogue })),
    [],
  );
});

test("secrets-encrypted and sops-creation-rule", async () => {
  const plain = await run(SEED, {
    "/repo/talsecret.sops.yaml": "cluster:\n  id: abc\n",
    "/repo/.sops.yaml": "creation_rules:\n  - age: age1xyz\n",
  });
  assert.deepEqual(codes(plain), ["secrets-encrypted"]);
  assert.equal(plain[0]!.source?.file, "/repo/talsecret.sops.yaml");
  assert.deepEqual(
    codes(
      await run(SEED, {
        "/repo/talsecret.sops.yaml": SOPS_BUNDLE,
        "/repo/.sops.yaml": "creation_rules:\n  - path_regex: talsecret\\.sops\\.yaml$\n    age: age1xyz\n",
      }),
    ),
    [],
  );
  assert.deepEqual(codes(await run(SEED, { "/repo/talsecret.sops.yaml": SOPS_BUNDLE })), ["sops-creation-rule"]);
  assert.deepEqual(
    codes(
      await run(SEED, {
        "/repo/talsecret.sops.yaml": SOPS_BUNDLE,
        "/repo/.sops.yaml": "creation_rules:\n  - path_regex: other\\.yaml$\n    age: age1\n",
      }),
    ),
    ["sops-creation-rule"],
  );
  const narrow = await run(SEED, {
    "/repo/talsecret.sops.yaml": SOPS_BUNDLE,
    "/repo/.sops.yaml": "creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    age: age1\n",
  });
  assert.deepEqual(codes(narrow), ["sops-creation-rule"]);
  assert.match(narrow[0]!.message, /cluster\.secret/);
  const injected = await run(
    SEED,
    { "/repo/talsecret.sops.yaml": SOPS_BUNDLE },
    {
      sopsCreationRuleFor: () => ({ encryptedRegex: "^(secret|bootstraptoken|secretboxencryptionsecret|token|key)$" }),
    },
  );
  assert.deepEqual(codes(injected), []);
});

test("sopsEncryptsPath: a matching key anywhere on the path encrypts the leaf", () => {
  assert.equal(sopsEncryptsPath({ encryptedRegex: "^certs$" }, ["certs", "os", "key"]), true);
  assert.equal(sopsEncryptsPath({ encryptedRegex: "^key$" }, ["cluster", "secret"]), false);
  assert.equal(sopsEncryptsPath({ unencryptedRegex: "^crt$" }, ["certs", "os", "key"]), true);
  assert.equal(sopsEncryptsPath({ unencryptedSuffix: "_unencrypted" }, ["cluster", "secret"]), true);
  assert.equal(sopsEncryptsPath({ encryptedSuffix: "_enc" }, ["cluster", "secret"]), false);
  assert.equal(sopsEncryptsPath({}, ["cluster", "secret"]), true);
});

test("disabled rules do not run; .talform.yaml policy.disable is validated", async () => {
  const noTime = SEED.replace('patches:\n  - "machine: {time: {servers: [time.cloudflare.com]}}"\n', "");
  assert.deepEqual(codes(await run(noTime, {}, { disabledRules: new Set(["time-servers"]) })), []);
  const read = (files: Record<string, string>) => (p: string) => files[p];
  const ok = loadTalformSettings(
    "/repo",
    read({ "/repo/.talform.yaml": "policy:\n  disable: [time-servers, nameservers]\n" }),
  );
  assert.deepEqual([...ok.disabledRules], ["time-servers", "nameservers"]);
  assert.deepEqual(ok.diagnostics, []);
  const typo = loadTalformSettings("/repo", read({ "/repo/.talform.yaml": "policy:\n  disable: [time-server]\n" }));
  assert.deepEqual(
    typo.diagnostics.map((d) => [d.code, d.source?.line, d.source?.col]),
    [["TF1003", 2, 13]],
  );
  assert.match(typo.diagnostics[0]!.message, /did you mean "time-servers"/);
  const bad = loadTalformSettings("/repo", read({ "/repo/.talform.yaml": "polcy: {}\n" }));
  assert.equal(bad.diagnostics[0]?.code, "TF1004");
  assert.deepEqual(loadTalformSettings("/repo", read({})).diagnostics, []);
});

test("a talconfig that failed the schema runs only the rules that read raw data", async () => {
  const text =
    BASE_TALCONFIG.replace("clusterName: lab", "clusterName: [x]") +
    "worker:\n  schematic: {customization: {systemExtensions: {officialExtensions: [siderolabs/nope]}}}\n";
  const loaded = await loadTalconfig({ path: T, readFile: memFiles({ [T]: text }) });
  assert.equal(loaded.config, undefined);
  const ds = validateTalconfig(loaded, {
    talconfigDir: "/repo",
    files: { exists: () => false, read: () => undefined },
    disabledRules: new Set(),
  });
  assert.deepEqual(codes(ds), ["extension-name"]);
  const yamlBroken = await loadTalconfig({ path: T, readFile: memFiles({ [T]: "a: [" }) });
  assert.deepEqual(
    validateTalconfig(yamlBroken, {
      talconfigDir: "/repo",
      files: { exists: () => false, read: () => undefined },
      disabledRules: new Set(),
    }),
    [],
  );
});

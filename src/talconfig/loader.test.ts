import { test } from "node:test";
import assert from "node:assert/strict";
import { loadTalconfig, substituteFileText } from "./loader.js";
import type { SopsDecryptor } from "./types.js";
import { BASE_TALCONFIG, memFiles } from "./testdata/memfs.js";

const T = "/repo/talconfig.yaml";
const load = (
  text: string,
  extra: Record<string, string> = {},
  opts: Partial<Parameters<typeof loadTalconfig>[0]> = {},
) => loadTalconfig({ path: T, readFile: memFiles({ [T]: text, ...extra }), ...opts });
const errors = (l: Awaited<ReturnType<typeof load>>) => l.diagnostics.filter((d) => d.severity === "error");
const brief = (l: Awaited<ReturnType<typeof load>>) =>
  l.diagnostics.map((d) => `${d.source?.line}:${d.source?.col} ${d.code} ${d.path ?? ""}`);

test("a valid talconfig loads clean with resolved nodes", async () => {
  const l = await load(BASE_TALCONFIG);
  assert.deepEqual(l.diagnostics, []);
  assert.equal(l.config?.clusterName, "lab");
  assert.deepEqual(
    l.nodes.map((n) => [n.hostname, n.role, n.talosVersion, n.kubernetesVersion]),
    [
      ["cp1", "controlplane", "v1.13.9", "1.35.0"],
      ["w1", "worker", "v1.13.9", "1.35.0"],
    ],
  );
  assert.deepEqual(l.nodes[0]!.source, { file: T, line: 6, col: 5 });
});

test("talosVersion defaults to talhelper's and gets a v prefix", async () => {
  const none = await load(BASE_TALCONFIG.replace("talosVersion: v1.13.9\n", ""));
  assert.equal(none.nodes[0]!.talosVersion, "v1.13.9");
  const bare = await load(BASE_TALCONFIG.replace("talosVersion: v1.13.9", "talosVersion: 1.12.3"));
  assert.equal(bare.nodes[0]!.talosVersion, "v1.12.3");
});

test("numbers and bools in string fields keep their source text (as yaml.v3 into Go strings)", async () => {
  const l = await load(
    BASE_TALCONFIG.replace("talosVersion: v1.13.9", "talosVersion: 1.13.0").replace(
      "clusterName: lab",
      "clusterName: 1.10",
    ),
  );
  assert.deepEqual(errors(l), []);
  assert.equal(l.config?.clusterName, "1.10");
});

test("unknown keys are located errors with a did-you-mean", async () => {
  const l = await load(
    BASE_TALCONFIG.replace(
      "    installDisk: /dev/sda\n    networkInterfaces",
      "    installDisk: /dev/sda\n    nameserver: [1.1.1.1]\n    networkInterfaces",
    ).replace("clusterName: lab", "clusterName: lab\nclustername: x"),
  );
  const d = l.diagnostics.filter((x) => x.code === "TF1003");
  assert.deepEqual(
    d.map((x) => [x.path, x.source?.line, x.source?.col, x.node]),
    [
      ["clustername", 2, 1, undefined],
      ["nodes[0].nameserver", 11, 5, "cp1"],
    ],
  );
  assert.match(d[1]!.message, /did you mean "nameservers"/);
  assert.match(d[0]!.message, /did you mean "clusterName"/);
});

test("bad values: IPs, CIDRs, hostnames, enums, versions; all at once, in document order", async () => {
  const text = BASE_TALCONFIG.replace("kubernetesVersion: v1.35.0", "kubernetesVersion: v1.35")
    .replace("hostname: w1", "hostname: W_1")
    .replace("addresses: [10.0.0.21/24]", "addresses: [10.0.0.300/24]")
    .replace("endpoint: https://10.0.0.10:6443", "endpoint: 10.0.0.10\nclusterPodNets: [10.244.0.0/33]");
  const l = await load(text);
  assert.equal(l.config, undefined);
  assert.deepEqual(brief(l), [
    "3:20 TF1004 kubernetesVersion",
    "4:11 TF1004 endpoint",
    "5:18 TF1004 clusterPodNets[0]",
    "15:15 TF1004 nodes[1].hostname",
    "21:21 TF1004 nodes[1].networkInterfaces[0].addresses[0]",
  ]);
  // kubernetesVersion "v1.35" is a string the schema accepts; the version check still runs.
  assert.equal(
    l.diagnostics.find((d) => d.path === "nodes[1].hostname")?.hint,
    "use lowercase letters, digits and dashes, e.g. worker-1",
  );
  const v = await load(BASE_TALCONFIG.replace("kubernetesVersion: v1.35.0", "kubernetesVersion: v1.35"));
  assert.deepEqual(
    brief(v),
    ["3:1 TF1004 kubernetesVersion"].map((s) => s.replace("3:1", "3:20")),
  );
});

test("required keys and installDisk", async () => {
  const l = await load(
    BASE_TALCONFIG.replace("endpoint: https://10.0.0.10:6443\n", "").replace("    installDisk: /dev/sda\n", ""),
  );
  assert.deepEqual(brief(l), ["1:1 TF1005 endpoint", "5:5 TF1005 nodes[0].installDisk"]);
  const m = await load(BASE_TALCONFIG.replace("    installDisk: /dev/sda\n", ""));
  assert.deepEqual(brief(m), ["6:5 TF1005 nodes[0].installDisk"]);
});

test("duplicate hostnames and IPs", async () => {
  const l = await load(
    BASE_TALCONFIG.replace("hostname: w1", "hostname: cp1").replace(
      "ipAddress: 10.0.0.21",
      "ipAddress: 10.0.0.22, 10.0.0.11",
    ),
  );
  assert.deepEqual(brief(l), ["14:15 TF1007 nodes[1].hostname", "15:16 TF1007 nodes[1].ipAddress"]);
});

test("YAML merge keys work as in talhelper (yaml.v3)", async () => {
  const text =
    BASE_TALCONFIG.replace("  - hostname: w1\n", "  - &w\n    hostname: w1\n") +
    "  - <<: *w\n    hostname: w2\n    ipAddress: 10.0.0.22\n";
  const l = await load(text);
  assert.deepEqual(l.diagnostics, []);
  assert.deepEqual(
    l.nodes.map((n) => [n.hostname, n.installDisk, n.controlPlane]),
    [
      ["cp1", "/dev/sda", true],
      ["w1", "/dev/sda", false],
      ["w2", "/dev/sda", false],
    ],
  );
});

test("comma-separated ipAddress is split, the raw text kept", async () => {
  const l = await load(BASE_TALCONFIG.replace("ipAddress: 10.0.0.21", 'ipAddress: "10.0.0.21, 10.0.0.22"'));
  assert.deepEqual(l.nodes[1]!.ipAddresses, ["10.0.0.21", "10.0.0.22"]);
  assert.equal(l.nodes[1]!.ipAddress, "10.0.0.21, 10.0.0.22");
});

test("deprecated keys warn", async () => {
  const l = await load(BASE_TALCONFIG.replace("clusterName: lab", "clusterName: lab\nallowSchedulingOnMasters: true"));
  assert.deepEqual(brief(l), ["2:1 TF1008 allowSchedulingOnMasters"]);
  assert.equal(l.diagnostics[0]!.severity, "warning");
});

test("YAML problems: syntax, duplicate keys, tabs, alias bombs, empty/binary/missing files", async () => {
  const cases: [string, string][] = [
    ["clusterName: [unclosed\n", "TF1001"],
    ["clusterName: a\nclusterName: b\n", "TF1002"],
    ["nodes:\n\t- hostname: x\n", "TF1001"],
    [
      "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
      "TF1001",
    ],
    ["", "TF1004"],
    ["# only a comment\n", "TF1004"],
    ["a\u0000b", "TF1012"],
    ["- 1\n- 2\n", "TF1004"],
  ];
  for (const [text, code] of cases) {
    const l = await load(text);
    assert.equal(l.config, undefined, JSON.stringify(text));
    assert.ok(
      l.diagnostics.length > 0 && l.diagnostics.every((d) => d.source && d.source.line >= 1),
      JSON.stringify(text),
    );
    assert.equal(l.diagnostics[0]!.code, code, JSON.stringify(text));
  }
  const huge = await load(`clusterName: x\n${"# padding\n".repeat(500_000)}`);
  assert.deepEqual(brief(huge), ["1:1 TF1012 "]);
  assert.match(huge.diagnostics[0]!.message, /too large/);
  const multi = await load(`${BASE_TALCONFIG}---\nclusterName: other\n`);
  assert.equal(multi.diagnostics[0]?.code, "TF1001");
  const missing = await loadTalconfig({ path: "/nope/talconfig.yaml", readFile: memFiles({}) });
  assert.deepEqual(brief(missing), ["1:1 TF1012 "]);
  assert.match(missing.diagnostics[0]!.message, /file not found/);
});

test("env substitution: env map, env files (later wins), retyping plain scalars, located unset variables", async () => {
  const text = BASE_TALCONFIG.replace("clusterName: lab", "clusterName: ${NAME}")
    .replace("controlPlane: true", "controlPlane: ${CP}")
    .replace("hostname: w1", "hostname: ${WORKER:-w1}");
  const l = await load(
    text,
    { "/repo/talenv.yaml": "NAME: from-file\nCP: 'true'\n", "/repo/extra.env": "NAME=second\n" },
    {
      env: { NAME: "from-env" },
      envFiles: ["/repo/talenv.yaml", "/repo/extra.env"],
    },
  );
  assert.deepEqual(l.diagnostics, []);
  assert.equal(l.config?.clusterName, "second");
  assert.equal(l.nodes[0]!.controlPlane, true);
  assert.equal(l.nodes[1]!.hostname, "w1");
  const d = await load(
    BASE_TALCONFIG.replace(
      "installDisk: /dev/sda\n    networkInterfaces",
      "installDisk: /dev/${DISK}\n    networkInterfaces",
    ),
  );
  assert.deepEqual(brief(d), ["9:23 TF1010 "]);
  assert.match(d.diagnostics[0]!.message, /DISK is not set/);
});

test("default env files beside the talconfig are read when present; --no-substitute leaves references", async () => {
  const text = BASE_TALCONFIG.replace("clusterName: lab", "clusterName: ${NAME}");
  const l = await load(text, { "/repo/talenv.sops.yml": "NAME=dflt\n" });
  assert.equal(l.config?.clusterName, "dflt");
  assert.deepEqual(l.envFiles, ["/repo/talenv.sops.yml"]);
  const raw = await load(text, {}, { substitute: false });
  assert.equal(raw.config?.clusterName, "${NAME}");
  const missing = await load(text, {}, { envFiles: ["/repo/none.env"] });
  assert.ok(missing.diagnostics.some((x) => x.code === "TF1012" && x.source?.file === "/repo/none.env"));
});

test("substitution in block scalars is located on the right line", async () => {
  const text = BASE_TALCONFIG + "patches:\n  - |-\n    machine:\n      env:\n        A: ${UNSET_IN_PATCH}\n";
  const l = await load(text);
  assert.deepEqual(brief(l), ["25:12 TF1010 "]);
});

test("encrypted env files: decrypted through the injected decryptor, else a clear error", async () => {
  const enc = "NAME: ENC[AES256_GCM,data:xx]\nsops:\n  mac: ENC[x]\n  version: 3.9.0\n";
  const text = BASE_TALCONFIG.replace("clusterName: lab", "clusterName: ${NAME}");
  const without = await load(text, { "/repo/talenv.yaml": enc });
  assert.ok(without.diagnostics.some((d) => d.code === "TF1011" && /SOPS support is required/.test(d.hint ?? "")));
  const decryptor: SopsDecryptor = {
    isEncrypted: (t) => t.includes("sops:"),
    decrypt: async () => "NAME: decrypted\n",
  };
  const withD = await load(text, { "/repo/talenv.yaml": enc }, { decryptor });
  assert.deepEqual(withD.diagnostics, []);
  assert.equal(withD.config?.clusterName, "decrypted");
  const failing: SopsDecryptor = { isEncrypted: () => true, decrypt: async () => Promise.reject(new Error("no key")) };
  const bad = await load(text, { "/repo/talenv.yaml": enc }, { decryptor: failing });
  assert.ok(bad.diagnostics.some((d) => d.code === "TF1011" && /no key/.test(d.message)));
});

test("patches are ordered group, node, global with @file resolved against the talconfig folder", async () => {
  const text =
    BASE_TALCONFIG.replace("    controlPlane: true\n", "    controlPlane: true\n    patches: ['@./node.yaml']\n") +
    "controlPlane:\n  patches: ['machine: {}']\n  certSANs: [cp.example]\npatches: ['@patches/all.yaml']\n";
  const l = await load(text, { "/repo/node.yaml": "", "/repo/patches/all.yaml": "" });
  assert.deepEqual(errors(l), []);
  assert.deepEqual(
    l.nodes[0]!.patches.map((p) => [p.scope, p.file, p.path]),
    [
      ["group", undefined, "controlPlane.patches[0]"],
      ["node", "/repo/node.yaml", "nodes[0].patches[0]"],
      ["global", "/repo/patches/all.yaml", "patches[0]"],
    ],
  );
  assert.deepEqual(l.nodes[0]!.certSANs, ["cp.example"]);
  assert.deepEqual(
    l.nodes[1]!.patches.map((p) => p.scope),
    ["global"],
  );
  const missing = await load(text, { "/repo/node.yaml": "" });
  assert.deepEqual(brief(missing), ["25:11 TF1013 patches[0]"]);
});

test("substituteFileText: same env as the talconfig, comment lines untouched, problems located in the file", async () => {
  const l = await load(
    BASE_TALCONFIG.replace("clusterName: lab", "clusterName: ${NAME:=lab}"),
    {},
    { env: { DNS: "1.1.1.1" } },
  );
  assert.equal(l.env.get("NAME"), "lab");
  const r = substituteFileText(
    "# ${NOT_SUBSTITUTED}\nmachine:\n  network: {nameservers: [$DNS]}\n  x: ${MISSING}\n",
    "/repo/p.yaml",
    l.env,
  );
  assert.equal(r.text, "# ${NOT_SUBSTITUTED}\nmachine:\n  network: {nameservers: [1.1.1.1]}\n  x: \n");
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.source?.file, d.source?.line, d.source?.col]),
    [["TF1010", "/repo/p.yaml", 4, 6]],
  );
});

test("substitution also reaches map keys and flow collections (as talhelper's byte-level substitution)", async () => {
  const text = BASE_TALCONFIG.replace(
    "    installDisk: /dev/sda\n    networkInterfaces",
    '    installDisk: /dev/sda\n    nodeLabels: {${LABEL}: "${VALUE}"}\n    networkInterfaces',
  );
  const l = await load(text, {}, { env: { LABEL: "zone", VALUE: "a" } });
  assert.deepEqual(l.diagnostics, []);
  assert.deepEqual(l.nodes[0]!.nodeLabels, { zone: "a" });
  const flow = await load(
    BASE_TALCONFIG.replace("addresses: [10.0.0.11/24]", 'addresses: [${IP}/24, "${IP2:-10.0.0.12}/24"]'),
    {},
    { env: { IP: "10.0.0.11" } },
  );
  assert.deepEqual(flow.diagnostics, []);
  assert.deepEqual(flow.nodes[0]!.networkInterfaces?.[0]?.addresses, ["10.0.0.11/24", "10.0.0.12/24"]);
  const raw = await load(
    BASE_TALCONFIG.replace("addresses: [10.0.0.11/24]", "addresses: [${IP}/24]"),
    {},
    { substitute: false },
  );
  assert.deepEqual(
    raw.diagnostics.map((d) => [d.code, d.path, d.source?.line, d.source?.col]),
    [["TF1004", "nodes[0].networkInterfaces[0].addresses[0]", 12, 21]],
  );
  assert.match(raw.diagnostics[0]!.message, /"\$\{IP\}\/24"/);
  const missing = await load(BASE_TALCONFIG.replace("addresses: [10.0.0.11/24]", "addresses: [10.0.0.11/24, ${NOPE}]"));
  assert.deepEqual(brief(missing), ["12:35 TF1010 "]);
});

// Strict where the file is wrong, not where Talos and talhelper accept it (issue 16 item 3).
const STRICTNESS: { name: string; text: string; errors: string[]; warnings: RegExp[] }[] = [
  {
    name: "installDisk with installDiskSelector is a warning naming which wins",
    text: BASE_TALCONFIG.replace(
      "    installDisk: /dev/sda\n    networkInterfaces",
      "    installDisk: /dev/sda\n    installDiskSelector: {size: '>= 100GB'}\n    networkInterfaces",
    ),
    errors: [],
    warnings: [/installDiskSelector matches and ignores installDisk/],
  },
  {
    name: "a top-level key that only holds an anchor used elsewhere is a warning",
    text: BASE_TALCONFIG.replace(
      "clusterName: lab",
      "x-schematic: &ext\n  customization:\n    systemExtensions:\n      officialExtensions: [siderolabs/iscsi-tools]\nclusterName: lab",
    ).concat("    schematic: *ext\n"),
    errors: [],
    warnings: [/"x-schematic" is not a talconfig key; it only holds the YAML anchor &ext/],
  },
  {
    name: "an anchor nothing uses does not excuse an unknown key",
    text: BASE_TALCONFIG.replace("clusterName: lab", "x-schematic: &ext {}\nclusterName: lab"),
    errors: ["TF1003 x-schematic"],
    warnings: [],
  },
  {
    name: "an install disk selector type Talos refuses (HDD) is a located error",
    text: BASE_TALCONFIG.replace(
      "    installDisk: /dev/sda\n    networkInterfaces",
      "    installDiskSelector: {type: HDD}\n    networkInterfaces",
    ),
    errors: ["TF1004 nodes[0].installDiskSelector.type"],
    warnings: [],
  },
  {
    name: "an unknown key without an anchor stays an error",
    text: BASE_TALCONFIG.replace("clusterName: lab", "clusterNam: lab2\nclusterName: lab"),
    errors: ["TF1003 clusterNam"],
    warnings: [],
  },
];

for (const c of STRICTNESS) {
  test(`strictness: ${c.name}`, async () => {
    const l = await load(c.text);
    assert.deepEqual(
      errors(l).map((d) => `${d.code} ${d.path ?? ""}`),
      c.errors,
    );
    const warnings = l.diagnostics.filter((d) => d.severity === "warning");
    assert.equal(warnings.length, c.warnings.length, warnings.map((w) => w.message).join("\n"));
    c.warnings.forEach((re, i) => assert.match(warnings[i]!.message, re));
    if (c.errors.length === 0)
      assert.ok(
        warnings.every((w) => w.source !== undefined),
        "warnings are located",
      );
  });
}

import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { contractFor } from "../contract/index.js";
import { renderCluster } from "../genconfig/index.js";
import { encodeTestBundle, makeTestBundle } from "../machineconfig/test-support.js";
import { documentKind, parseYamlDocuments, type YamlMap, type YamlNode } from "../machineconfig/index.js";
import type { TalformError } from "../diagnostics/index.js";
import { formatMigration, migratePatchText, migrateTalconfig, TO_V1_14 } from "./index.js";

const FIXTURE = fileURLToPath(new URL("./testdata/legacy-1.13/", import.meta.url));
const v114 = contractFor("v1.14")!;

test("migratePatchText: legacy fields become patches of 1.14's documents, comments kept", () => {
  const table: {
    name: string;
    patch: string;
    scope: "all" | "worker" | "controlplane";
    text: string | undefined;
    cp?: string;
  }[] = [
    {
      name: "kubelet extraArgs with comments",
      patch:
        'machine:\n  kubelet:\n    # serving certs\n    extraArgs:\n      rotate-server-certificates: "true" # csr approver\n',
      scope: "all",
      text: 'apiVersion: v1alpha1\nkind: KubeletConfig\n# serving certs\nextraArgs:\n  rotate-server-certificates: "true" # csr approver\n',
    },
    {
      name: "flow style inline patch",
      patch: "machine: {sysctls: {vm.max_map_count: '262144'}}",
      scope: "worker",
      text: "apiVersion: v1alpha1\nkind: SysctlConfig\nparams: {vm.max_map_count: '262144'}\n",
    },
    {
      name: "proxy disabled, shared patch: the control-plane-only document is split out",
      patch: "cluster:\n  proxy:\n    disabled: true\n",
      scope: "all",
      text: "",
      cp: "apiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n",
    },
    {
      name: "proxy in a worker patch: inert there, dropped",
      patch: "machine:\n  sysctls: {a: b}\ncluster:\n  proxy:\n    disabled: true\n",
      scope: "worker",
      text: "apiVersion: v1alpha1\nkind: SysctlConfig\nparams: {a: b}\n",
    },
    {
      name: "kernel modules, kept fields, an existing document is merged into",
      patch:
        "machine:\n  kernel:\n    modules:\n      - name: br_netfilter\n        parameters: [nf_conntrack_max=131072]\n  kubelet:\n    extraMounts: []\n    disableManifestsDirectory: true\n    nodeIP:\n      validSubnets: [10.0.0.0/8]\n---\napiVersion: v1alpha1\nkind: KubeNodeConfig\nlabels: {a: b}\n",
      scope: "controlplane",
      text: "machine:\n  kubelet:\n    extraMounts: []\n---\napiVersion: v1alpha1\nkind: KubeNodeConfig\nlabels: {a: b}\nnodeIP:\n  validSubnets: [10.0.0.0/8]\n---\napiVersion: v1alpha1\nkind: KernelModuleConfig\nname: br_netfilter\nparameters: [nf_conntrack_max=131072]\n",
    },
    { name: "nothing legacy", patch: "machine:\n  network:\n    hostname: a\n", scope: "all", text: undefined },
    {
      name: "JSON6902",
      patch: '- op: add\n  path: /machine/kubelet/extraArgs\n  value: {a: "1"}\n',
      scope: "all",
      text: undefined,
    },
    { name: "templated", patch: "machine:\n  kubelet:\n    extraArgs: {{ .X }}\n", scope: "all", text: undefined },
  ];
  for (const row of table) {
    const r = migratePatchText(row.patch, row.scope, TO_V1_14);
    assert.equal(r.text, row.text, row.name);
    assert.equal(r.controlPlaneText, row.cp, row.name);
  }
});

test("migratePatchText notes say what moved, what was dropped and what is left", () => {
  const r = migratePatchText(
    "machine:\n  kubelet:\n    extraMounts: []\n    disableManifestsDirectory: true\n    image: k:1\n",
    "worker",
    TO_V1_14,
  );
  assert.deepEqual(r.notes, [
    "machine.kubelet.image → KubeletConfig image",
    "machine.kubelet.disableManifestsDirectory: true dropped: KubeletConfig always disables the manifests directory (machinery's DisableManifestsDirectory() returns true)",
    "left in machine.kubelet: extraMounts (no v1.14 document takes it; see docs/genconfig.md)",
  ]);
});

async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "talform-migrate-"));
  await cp(FIXTURE, dir, { recursive: true });
  await writeFile(join(dir, "talsecret.yaml"), encodeTestBundle(await makeTestBundle()), { mode: 0o600 });
  return dir;
}

const render = async (dir: string) =>
  (await renderCluster({ configPath: join(dir, "talconfig.yaml"), outDir: "out", cwd: dir, env: {} })).generated
    .configs;
const docsOf = (text: string) => parseYamlDocuments(text).documents as YamlMap[];
const at = (node: YamlNode | undefined, ...path: string[]): YamlNode | undefined =>
  path.reduce<YamlNode | undefined>((n, k) => (n instanceof Map ? n.get(k) : undefined), node);
const plain = (n: YamlNode | undefined): unknown =>
  n instanceof Map ? Object.fromEntries([...n].map(([k, v]) => [k, plain(v)])) : n;

/** The settings the fixture's patches make, read where Talos 1.13 keeps them (v1alpha1) and where 1.14 does. */
function settings13(text: string) {
  const v1 = docsOf(text).find((d) => documentKind(d) === "v1alpha1");
  return {
    kubeletArgs: plain(at(v1, "machine", "kubelet", "extraArgs")),
    sysctls: plain(at(v1, "machine", "sysctls")),
    proxyDisabled: at(v1, "cluster", "proxy", "disabled") ?? false,
    apiServerArgs: plain(at(v1, "cluster", "apiServer", "extraArgs")),
  };
}
function settings14(text: string) {
  const docs = docsOf(text);
  const kind = (k: string) => docs.find((d) => documentKind(d) === k);
  const v1 = kind("v1alpha1");
  assert.equal(at(v1, "machine", "kubelet"), undefined, "no legacy kubelet section is left");
  assert.equal(at(v1, "machine", "sysctls"), undefined, "no legacy sysctls are left");
  const proxy = kind("KubeProxyConfig");
  return {
    kubeletArgs: plain(at(kind("KubeletConfig"), "extraArgs")),
    sysctls: plain(at(kind("SysctlConfig"), "params")),
    proxyDisabled: proxy ? at(proxy, "enabled") === false : false,
    apiServerArgs: plain(at(kind("KubeAPIServerConfig"), "extraArgs")),
  };
}

test("migrate --to v1.14 on a 1.13 talconfig: the 1.14 render is accepted and equals the 1.13 render where they overlap", async () => {
  const dir = await project();
  try {
    const before13 = await render(dir);
    // Unmigrated, Talos 1.14 refuses the legacy fields beside its documents.
    const cfg = await readFile(join(dir, "talconfig.yaml"), "utf8");
    await writeFile(join(dir, "talconfig.yaml"), cfg.replace("talosVersion: v1.13.9", "talosVersion: v1.14.1"));
    await assert.rejects(render(dir), (e: TalformError) => e.diagnostics.some((d) => d.code === "v1alpha1-conflict"));
    await writeFile(join(dir, "talconfig.yaml"), cfg);

    const result = await migrateTalconfig({
      path: join(dir, "talconfig.yaml"),
      target: v114,
      readFile: (p) => readFile(p, "utf8"),
    });
    assert.deepEqual(
      result.changes.map((c) => c.path),
      [join(dir, "talconfig.yaml"), join(dir, "patches", "kubelet.yaml")],
    );
    for (const c of result.changes) {
      assert.equal(c.before, await readFile(c.path, "utf8"));
      await writeFile(c.path, c.after);
    }
    // The diff preview is a unified diff of every changed file, then the notes.
    const preview = formatMigration(result, dir);
    assert.match(preview, /^--- a\/talconfig\.yaml\n\+\+\+ b\/talconfig\.yaml\n@@ /);
    assert.match(preview, /\n-talosVersion: v1\.13\.9 # pinned\n\+talosVersion: v1\.14\.1 # pinned\n/);
    assert.match(
      preview,
      /\nnotes:\n {2}patches\[1\]: cluster\.proxy\.disabled → KubeProxyConfig enabled \(negated\)\n/,
    );

    const after14 = await render(dir); // renderCluster runs the strict decoder and Talos's validation (metal)
    assert.deepEqual(
      after14.map((c) => c.name),
      before13.map((c) => c.name),
    );
    for (const [i, c] of after14.entries()) {
      const [want, got] = [settings13(before13[i]!.text), settings14(c.text)];
      // Control-plane components are configured on control planes: a worker's cluster.proxy was inert on 1.13.
      if (c.name.includes("-w1")) assert.deepEqual({ ...got, proxyDisabled: want.proxyDisabled }, want, c.name);
      else assert.deepEqual(got, want, c.name);
    }
    assert.deepEqual(
      after14.map((c) => c.name),
      ["lab-cp1.yaml", "lab-w1.yaml"],
    );
    // What the fixture sets, so that the equality above is not between two empty renders.
    const cp = settings13(before13[0]!.text);
    assert.deepEqual(cp, {
      kubeletArgs: { "rotate-server-certificates": "true" },
      sysctls: { "net.core.somaxconn": "65535" },
      proxyDisabled: true,
      apiServerArgs: { "enable-aggregator-routing": "true" },
    });
    assert.deepEqual(settings13(before13[1]!.text).sysctls, {
      "net.core.somaxconn": "65535",
      "vm.max_map_count": "262144",
    });

    // Comments survive: the talconfig's and the patch file's.
    const migrated = await readFile(join(dir, "talconfig.yaml"), "utf8");
    for (const comment of ["# pinned", "# the GPU worker needs more map entries", "# cilium replaces kube-proxy"])
      assert.ok(migrated.includes(comment), comment);
    assert.match(
      await readFile(join(dir, "patches", "kubelet.yaml"), "utf8"),
      /^# metrics-server needs serving certificates\n[\s\S]*# approved by kubelet-csr-approver\n/,
    );

    // Migrating again changes nothing.
    const again = await migrateTalconfig({
      path: join(dir, "talconfig.yaml"),
      target: v114,
      readFile: (p) => readFile(p, "utf8"),
    });
    assert.deepEqual(again.changes, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("migrate refuses a target that moves nothing into documents", async () => {
  await assert.rejects(
    migrateTalconfig({
      path: join(FIXTURE, "talconfig.yaml"),
      target: contractFor("v1.13")!,
      readFile: (p) => readFile(p, "utf8"),
    }),
    /nothing to migrate to for Talos v1\.13/,
  );
});

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadTalconfig } from "../talconfig/index.js";
import { makeClientCert, makeOsCA } from "../sim/testing.js";
import { renderTalosconfig } from "../talosapi/talosconfig.js";
import { expectedNodes } from "./expect.js";
import { gatherLocalState } from "./local.js";

const TALCONFIG = `clusterName: lab
talosVersion: v1.13.9
kubernetesVersion: v1.33.0
endpoint: https://10.0.0.11:6443
nodes:
  - hostname: cp1
    ipAddress: 10.0.0.11
    controlPlane: true
    installDisk: /dev/sda
    nameservers: [10.0.0.53]
    networkInterfaces: [{interface: eth0, addresses: [10.0.0.11/24]}]
    schematic: {customization: {systemExtensions: {officialExtensions: [siderolabs/iscsi-tools]}}}
`;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "talform-doctor-local-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("expectedNodes: address, role, schematic extensions, static addresses, nameservers, installer, config file", async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, "talconfig.yaml"), TALCONFIG);
    const t = await loadTalconfig({ path: join(dir, "talconfig.yaml"), env: {} });
    const [e] = expectedNodes(t);
    assert.deepEqual(
      { ...e!, installerImage: e!.installerImage?.replace(/[0-9a-f]{64}/, "<id>") },
      {
        hostname: "cp1",
        address: "10.0.0.11",
        controlPlane: true,
        talosVersion: "v1.13.9",
        kubernetesVersion: "1.33.0",
        extensions: ["siderolabs/iscsi-tools"],
        staticAddresses: ["10.0.0.11/24"],
        nameservers: ["10.0.0.53"],
        installerImage: "factory.talos.dev/metal-installer/<id>:v1.13.9",
        configFile: "clusterconfig/lab-cp1.yaml",
      },
    );
  });
});

test("gatherLocalState: rendered files from disk with mtime staleness, or a renderer; talosconfig; notes for unreadable secrets", async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, "talconfig.yaml"), TALCONFIG);
    await mkdir(join(dir, "clusterconfig"));
    await writeFile(join(dir, "clusterconfig", "lab-cp1.yaml"), "version: v1alpha1\nmachine: {type: controlplane}\n");
    const ca = await makeOsCA();
    const cert = await makeClientCert(ca, ["os:admin"]);
    const tc = join(dir, "clusterconfig", "talosconfig");
    await writeFile(
      tc,
      renderTalosconfig("lab", { endpoints: ["10.0.0.11"], nodes: [], ca: ca.crt, crt: cert.crt, key: cert.key }),
    );
    await writeFile(join(dir, "talsecret.yaml"), "not: a bundle\n");
    const t = await loadTalconfig({ path: join(dir, "talconfig.yaml"), env: {} });
    const expected = expectedNodes(t);

    const past = new Date(Date.now() - 3600_000);
    await utimes(join(dir, "talconfig.yaml"), past, past);
    const fresh = await gatherLocalState({ cwd: dir, talconfig: t, expected, talosconfigPath: tc });
    assert.equal(fresh.renderedConfigs?.get("cp1")?.file, "clusterconfig/lab-cp1.yaml");
    assert.deepEqual(fresh.staleFiles, []);
    assert.equal(fresh.talosconfig?.path, "clusterconfig/talosconfig");
    assert.equal(fresh.talosconfig?.crt, cert.crt);
    assert.equal(fresh.secrets, undefined);
    assert.match(fresh.notes?.[0] ?? "", /^secrets talsecret\.yaml not checked: /);

    const future = new Date(Date.now() + 3600_000);
    await utimes(join(dir, "talconfig.yaml"), future, future);
    const stale = await gatherLocalState({ cwd: dir, talconfig: t, expected });
    assert.deepEqual(stale.staleFiles, [{ file: "clusterconfig/lab-cp1.yaml", newerInput: "talconfig.yaml" }]);

    await utimes(join(dir, "talconfig.yaml"), past, past);
    const rendered = "version: v1alpha1\nmachine: {type: controlplane, nodeLabels: {a: b}}\n";
    const viaRenderer = await gatherLocalState({ cwd: dir, talconfig: t, expected, renderNode: async () => rendered });
    assert.equal(viaRenderer.renderedConfigs?.get("cp1")?.text, rendered);
    assert.deepEqual(viaRenderer.staleFiles, [{ file: "clusterconfig/lab-cp1.yaml", newerInput: "talconfig.yaml" }]);
  });
});

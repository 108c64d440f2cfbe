import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCluster } from "../genconfig/index.js";
import { makeTestBundle } from "../machineconfig/test-support.js";
import { loadTalconfig } from "../talconfig/index.js";
import { desiredFromRendered } from "./desired-adapter.js";

const TALCONFIG = `clusterName: lab
talosVersion: v1.13.9
kubernetesVersion: v1.36.3
endpoint: https://10.0.0.10:6443
nodes:
  - hostname: cp1
    ipAddress: 10.0.0.11
    controlPlane: true
    installDisk: /dev/sda
  - hostname: gpu1
    ipAddress: 10.0.0.31, 10.0.0.32
    installDisk: /dev/sda
    schematic:
      customization:
        systemExtensions:
          officialExtensions: [siderolabs/nvidia-container-toolkit-lts, siderolabs/nonfree-kmod-nvidia-lts]
`;

test("desired state from talconfig nodes + genconfig's in-memory render: installer, schematic, extensions, versions", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-desired-"));
  try {
    await writeFile(join(dir, "talconfig.yaml"), TALCONFIG);
    const loaded = await loadTalconfig({ path: join(dir, "talconfig.yaml"), env: {} });
    const generated = await generateCluster({ loaded, bundle: await makeTestBundle(), readFile: () => "" });
    const configs = new Map(generated.configs.map((c) => [c.hostname!, c.text]));
    const desired = desiredFromRendered("lab", loaded.nodes, configs);
    const [cp1, gpu1] = desired.nodes;
    assert.deepEqual(
      [cp1!.hostname, cp1!.controlPlane, cp1!.talosVersion, cp1!.kubernetesVersion, cp1!.extensions],
      ["cp1", true, "v1.13.9", "1.36.3", []],
    );
    assert.equal(gpu1!.address, "10.0.0.31");
    assert.deepEqual(gpu1!.extensions, [
      "siderolabs/nonfree-kmod-nvidia-lts",
      "siderolabs/nvidia-container-toolkit-lts",
    ]);
    assert.match(gpu1!.schematicId ?? "", /^[0-9a-f]{64}$/);
    assert.notEqual(gpu1!.schematicId, cp1!.schematicId);
    assert.ok(gpu1!.installImage.includes(`${gpu1!.schematicId}:v1.13.9`), gpu1!.installImage);
    assert.equal(gpu1!.configText, configs.get("gpu1"));
    assert.throws(() => desiredFromRendered("lab", loaded.nodes, new Map()), /no rendered config for node cp1/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

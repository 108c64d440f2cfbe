import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EMPTY_SCHEMATIC_ID } from "../../factory/index.js";
import { runCliCaptured } from "../test-support.js";

const TALCONFIG = `clusterName: lab
talosVersion: v1.13.2
kubernetesVersion: v1.35.0
endpoint: https://10.1.0.1:6443
nodes:
  - hostname: cp1
    ipAddress: 10.1.0.1
    controlPlane: true
    installDisk: /dev/sda
  - hostname: w1
    ipAddress: 10.1.0.2,10.1.0.3
    installDisk: /dev/sda
worker:
  filenameTmpl: "{{ .ClusterName }}-{{ .Role }}-{{ .IPAddress }}.yaml"
`;

let dir: string;
const run = (...argv: string[]) => runCliCaptured(["gencommand", ...argv], { cwd: dir, env: {} });
const TC = "--talosconfig=./clusterconfig/talosconfig";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "talform-gencommand-"));
  await writeFile(join(dir, "talconfig.yaml"), TALCONFIG);
});
after(() => rm(dir, { recursive: true, force: true }));

describe("talform gencommand", () => {
  it("apply: every address, file names from filenameTmpl (default <cluster>-<hostname>.yaml)", async () => {
    const r = await run("apply");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `talosctl apply-config ${TC} --nodes=10.1.0.1 --file=./clusterconfig/lab-cp1.yaml;\n` +
        `talosctl apply-config ${TC} --nodes=10.1.0.2 --file=./clusterconfig/lab-worker-10.1.0.2,10.1.0.3.yaml;\n` +
        `talosctl apply-config ${TC} --nodes=10.1.0.3 --file=./clusterconfig/lab-worker-10.1.0.2,10.1.0.3.yaml;\n`,
    );
  });

  it("upgrade: the offline installer URL per node; -n by address; extra flags appended", async () => {
    const r = await run("upgrade", "-n", "10.1.0.3", "--extra-flags", "--preserve,--stage", "--offline-mode");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `talosctl upgrade ${TC} --nodes=10.1.0.3 --image=factory.talos.dev/metal-installer/${EMPTY_SCHEMATIC_ID}:v1.13.2 --preserve --stage;\n`,
    );
  });

  it("bootstrap, kubeconfig, upgrade-k8s, health on the first control plane; -o changes the folder", async () => {
    assert.equal((await run("bootstrap")).stdout, `talosctl bootstrap ${TC} --nodes=10.1.0.1;\n`);
    assert.equal(
      (await run("kubeconfig", "--out-dir", "out")).stdout,
      "talosctl kubeconfig --talosconfig=out/talosconfig --nodes=10.1.0.1;\n",
    );
    assert.equal(
      (await run("upgrade-k8s", "--extra-flags=--dry-run")).stdout,
      `talosctl upgrade-k8s ${TC} --to=v1.35.0 --dry-run --nodes=10.1.0.1;\n`,
    );
    assert.equal((await run("health", "-n", "cp1")).stdout, `talosctl health ${TC} --nodes=cp1;\n`);
    assert.equal(
      (await run("reset", "-n", "w1")).stdout,
      `talosctl reset ${TC} --nodes=10.1.0.2;\ntalosctl reset ${TC} --nodes=10.1.0.3;\n`,
    );
    // The old spellings (talhelper's) still work, out of the help: --node for --nodes.
    assert.equal((await run("health", "--node", "cp1")).stdout, `talosctl health ${TC} --nodes=cp1;\n`);
  });

  it("a worker selected for bootstrap is a user error with talhelper's message", async () => {
    const r = await run("bootstrap", "-n", "w1");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /node with hostname w1 is not a controlplane node/);
  });

  it("a missing talconfig is a located user error", async () => {
    const r = await runCliCaptured(["gencommand", "apply", "-c", "missing.yaml"], { cwd: dir, env: {} });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing\.yaml/);
  });

  it("a bad filenameTmpl names the node", async () => {
    const sub = await mkdtemp(join(dir, "tmpl-"));
    await writeFile(
      join(sub, "talconfig.yaml"),
      TALCONFIG.replace("{{ .ClusterName }}-{{ .Role }}-{{ .IPAddress }}.yaml", "{{ .Nope }}.yaml"),
    );
    const r = await runCliCaptured(["gencommand", "apply"], { cwd: sub, env: {} });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /filenameTmpl of w1/);
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliCaptured } from "../cli/test-support.js";
import { makeTestBundle } from "../machineconfig/test-support.js";
import { serializeSecretsBundle } from "../secrets/index.js";
import { startFleet } from "../sim/index.js";

// `talform upgrade-k8s` as a user runs it: install, --dry-run, --to, then talconfig catches up. Addresses 127.0.69.x.
const talconfig = (k8s: string) => `clusterName: simlab
talosVersion: v1.13.9
kubernetesVersion: ${k8s}
endpoint: https://127.0.69.100:6443
nodes:
  - hostname: cp1
    ipAddress: 127.0.69.1
    controlPlane: true
    installDisk: /dev/sda
  - hostname: w1
    ipAddress: 127.0.69.11
    installDisk: /dev/sda
`;

test("talform upgrade-k8s --dry-run changes nothing; --to upgrades; plan then wants talconfig to follow", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-upgrade-k8s-"));
  const bundle = await makeTestBundle();
  const fleet = await startFleet(
    {
      clusterName: "simlab",
      osCA: bundle.certs.os,
      kubernetesEndpoint: "https://127.0.69.100:6443",
      nodes: [
        { hostname: "cp1", address: "127.0.69.1", controlPlane: true, talosVersion: "v1.13.9" },
        { hostname: "w1", address: "127.0.69.11", controlPlane: false, talosVersion: "v1.13.9" },
      ],
    },
    { timeScale: 0.005 },
  );
  const env = { TALFORM_LOOPBACK_ONLY: "1" };
  // No image factory here: the install runs --offline (this test is about the Kubernetes upgrade).
  const cli = (...args: string[]) => runCliCaptured(args, { cwd: dir, env });
  try {
    await writeFile(join(dir, "talconfig.yaml"), talconfig("v1.35.4"));
    await writeFile(join(dir, "talsecret.yaml"), serializeSecretsBundle(bundle), { mode: 0o600 });
    let r = await cli("apply", "--offline", "--yes");
    assert.equal(r.code, 0, r.stdout + r.stderr);

    r = await cli("upgrade-k8s", "--to", "1.36");
    assert.equal(r.code, 64, r.stderr);
    const before = fleet.nodes.map((n) => n.config!.text);
    r = await cli("upgrade-k8s", "--to", "v1.36.3", "--dry-run");
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /cluster: upgrade-k8s 1\.35\.4 → 1\.36\.3/);
    assert.match(
      r.stdout,
      /2\. kube-apiserver v1\.36\.3 on cp1\n {2}3\. kube-controller-manager v1\.36\.3 on cp1\n {2}4\. kube-scheduler v1\.36\.3 on cp1/,
    );
    assert.match(
      r.stdout,
      /~ DaemonSet kube-system\/kube-proxy: image registry\.k8s\.io\/kube-proxy:v1\.35\.4 → registry\.k8s\.io\/kube-proxy:v1\.36\.3/,
    );
    assert.deepEqual(
      fleet.nodes.map((n) => n.config!.text),
      before,
      "--dry-run changed a config",
    );

    r = await cli("upgrade-k8s", "--to", "v1.36.3", "--yes");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /kubelet v1\.36\.3 on w1 done/);
    assert.match(r.stderr, /set kubernetesVersion: 1\.36\.3 in talconfig\.yaml/);
    assert.match(await readFile(join(dir, ".talform", "journal.json"), "utf8"), /k8s\/v1\.36\.3\/manifests/);

    r = await cli("plan");
    assert.equal(r.code, 1, "talconfig still says 1.35.4: a downgrade");
    assert.match(r.stdout, /1\.36\.3 → 1\.35\.4 is a downgrade/);
    await writeFile(join(dir, "talconfig.yaml"), talconfig("v1.36.3"));
    r = await cli("plan");
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

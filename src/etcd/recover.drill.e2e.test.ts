import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliCaptured } from "../cli/test-support.js";
import { createKubeApi } from "../plan/kube-client.js";
import { TalosClient } from "../talosapi/client.js";
import { renderTalosconfig } from "../talosapi/talosconfig.js";
import { startFleet } from "../sim/index.js";
import { installNodes, makeClientCert, makeOsCA, sampleMachineConfig, waitUntil } from "../sim/testing.js";

// Restore drill (issue 20): 3 control planes with data → snapshot → wipe all three → recover --from → the same keys and
// revisions, every member healthy, the Kubernetes API answers with the old objects. Addresses 127.0.120.x.
const CPS = ["127.0.120.1", "127.0.120.2", "127.0.120.3"];
const W1 = "127.0.120.11";
const ENDPOINT = "https://127.0.120.100:6443";
const env = { TALFORM_LOOPBACK_ONLY: "1" };

test("restore drill: snapshot, wipe every control plane, recover --from, everything is back", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-etcd-drill-"));
  const osCA = await makeOsCA();
  const names = ["cp1", "cp2", "cp3"];
  const fleet = await startFleet(
    {
      clusterName: "drill",
      osCA,
      kubernetesEndpoint: ENDPOINT,
      nodes: [
        ...CPS.map((address, i) => ({ hostname: names[i]!, address, controlPlane: true, talosVersion: "v1.13.9" })),
        { hostname: "w1", address: W1, controlPlane: false, talosVersion: "v1.13.9" },
      ],
    },
    { timeScale: 0.005, seed: 3 },
  );
  const admin = await makeClientCert(osCA, ["os:admin"]);
  const client = new TalosClient({
    endpoints: [CPS[0]!],
    nodes: CPS,
    credentials: { kind: "mtls", ca: osCA.crt, crt: admin.crt, key: admin.key },
    env,
    retryAttempts: 1,
  });
  try {
    const configs: Record<string, string> = Object.fromEntries(
      CPS.map((a, i) => [a, sampleMachineConfig({ type: "controlplane", hostname: names[i]!, endpoint: ENDPOINT })]),
    );
    configs[W1] = sampleMachineConfig({ type: "worker", hostname: "w1", endpoint: ENDPOINT });
    await installNodes(fleet, configs, env);
    await client.bootstrap(CPS[0]!);
    await waitUntil("3 healthy etcd members", () => fleet.etcd().healthy.length === 3);
    await writeFile(
      join(dir, "talosconfig"),
      renderTalosconfig("drill", { endpoints: CPS, nodes: CPS, ca: osCA.crt, crt: admin.crt, key: admin.key }),
      { mode: 0o600 },
    );
    const cli = (...args: string[]) =>
      runCliCaptured([...args, "--talosconfig", join(dir, "talosconfig")], { cwd: dir, env });

    // Data: the Kubernetes objects of a running cluster, one of them changed (cordon: version 2 of its key).
    const kube = createKubeApi(await client.kubeconfig(CPS[0]!), { env });
    await kube.setUnschedulable("w1", true);
    const appPods = (await kube.evictablePods("w1")).map((p) => p.name);
    assert.equal(appPods.length, 1);
    const before = fleet.etcdKeys();
    assert.ok(before.length >= 10 && before.some((k) => k.version === 2), "the key space has data and a changed key");

    let r = await cli("etcd", "members", "-n", CPS[0]!);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").length, 1 + 3, r.stdout);

    r = await cli("etcd", "snapshot", "-n", CPS[1]!, "--dir", "snaps", "--keep", "1");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /verified, revision \d+, \d+ keys, 3 member\(s\): cp1, cp2, cp3/);
    const [file] = await readdir(join(dir, "snaps"));
    assert.match(file!, /^drill-etcd-\d{8}T\d{6}Z\.db$/);
    assert.equal((await stat(join(dir, "snaps", file!))).mode & 0o777, 0o600);

    // A healthy cluster is not overwritten without --force.
    r = await cli("recover", "--from", join("snaps", file!), "-n", CPS.join(","));
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /healthy quorum \(3 of 3/);

    for (const cp of names) fleet.fault(cp, "wipe");
    assert.equal(fleet.etcd().bootstrapped, false, "no member holds the data any more");
    assert.equal(fleet.etcdKeys().length, 0);
    await assert.rejects(kube.nodes(), /500/);

    r = await cli("recover", "--from", join("snaps", file!), "-n", CPS.join(","), "--dry-run");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reset 127\.0\.120\.1: wipe EPHEMERAL[\s\S]*upload the snapshot[\s\S]*nothing was changed/);

    r = await cli("recover", "--from", join("snaps", file!), "-n", CPS.join(","), "--timeout", "20");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /3 healthy member\(s\)/);

    const after = new Map(fleet.etcdKeys().map((k) => [k.key, k]));
    for (const k of before)
      assert.deepEqual(after.get(k.key), k, `key ${k.key} came back with its value and revisions`);
    assert.deepEqual([...fleet.etcd().healthy].sort(), names);
    assert.equal(fleet.etcd().quorum, true);
    r = await cli("etcd", "members", "-n", CPS[2]!);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((r.stdout.match(/ true/g) ?? []).length >= 3, true, r.stdout);

    const kubeAfter = createKubeApi(await client.kubeconfig(CPS[0]!), { env });
    assert.equal((await kubeAfter.node("w1"))?.unschedulable, true, "the cordon (a changed object) is back");
    assert.deepEqual(
      (await kubeAfter.evictablePods("w1")).map((p) => p.name),
      appPods,
      "the same pods are back",
    );
  } finally {
    client.close();
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

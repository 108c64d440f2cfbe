import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ApplyMode, TalosClient } from "../talosapi/client.js";
import { startFleet, type Fleet } from "./cluster.js";
import { makeClientCert, makeOsCA, sampleMachineConfig } from "./testing.js";
import type { CertificateAndKey } from "../pki/index.js";
import { inspectSnapshot } from "../etcd/snapshot.js";

// Addresses 127.0.21.x are reserved for this file (test files run in parallel).
const CP1 = "127.0.21.1";
const CP2 = "127.0.21.2";
const W1 = "127.0.21.3";
const env = { TALFORM_LOOPBACK_ONLY: "1" };

let fleet: Fleet;
let ca: CertificateAndKey;
let admin: TalosClient;

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

before(async () => {
  ca = await makeOsCA();
  fleet = await startFleet(
    {
      clusterName: "demo",
      osCA: ca,
      nodes: [
        { hostname: "cp1", address: CP1, controlPlane: true, talosVersion: "v1.13.9" },
        { hostname: "cp2", address: CP2, controlPlane: true, talosVersion: "v1.12.6" },
        { hostname: "w1", address: W1, controlPlane: false, talosVersion: "v1.14.0" },
      ],
      schematics: { ["a".repeat(64)]: ["siderolabs/iscsi-tools"] },
    },
    { timeScale: 0.01, seed: 7 },
  );
  const cert = await makeClientCert(ca, ["os:admin"]);
  admin = new TalosClient({
    endpoints: [CP1],
    nodes: [CP1, CP2, W1],
    credentials: { kind: "mtls", ca: ca.crt, crt: cert.crt, key: cert.key },
    env,
    retryBaseMs: 20,
  });
});

after(async () => {
  admin?.close();
  await fleet?.stop();
});

test("maintenance-mode apply installs every node, then the mTLS API serves them", async () => {
  const insecure = new TalosClient({ endpoints: [], nodes: [CP1, CP2, W1], credentials: { kind: "maintenance" }, env });
  try {
    const configs: Record<string, string> = {
      [CP1]: sampleMachineConfig({ type: "controlplane", hostname: "cp1", endpoint: `https://${CP1}:6443` }),
      [CP2]: sampleMachineConfig({ type: "controlplane", hostname: "cp2", endpoint: `https://${CP1}:6443` }),
      [W1]: sampleMachineConfig({ type: "worker", hostname: "w1", endpoint: `https://${CP1}:6443` }),
    };
    for (const node of [CP1, CP2, W1]) {
      const [r] = await insecure.applyConfiguration(Buffer.from(configs[node]!), { mode: ApplyMode.AUTO }, [node]);
      assert.equal(r!.error, undefined, String(r!.error));
    }
  } finally {
    insecure.close();
  }
  await waitFor("all nodes running", () => fleet.nodes.every((n) => n.stage === "running"));
  const versions = await admin.version();
  assert.deepEqual(
    versions.map((v) => [v.node, v.value?.version?.tag]),
    [
      [CP1, "v1.13.9"],
      [CP2, "v1.12.6"],
      [W1, "v1.14.0"],
    ],
  );
  const hostnames = await admin.hostname();
  assert.deepEqual(
    hostnames.map((h) => h.value),
    ["cp1", "cp2", "w1"],
  );
});

test("services, logs, dmesg, read", async () => {
  const [cp, , w] = await admin.services();
  assert.deepEqual(
    cp!.value!.map((s) => s.id),
    ["apid", "containerd", "cri", "etcd", "kubelet", "machined", "trustd", "udevd"],
  );
  assert.ok(!w!.value!.some((s) => s.id === "etcd"), "workers run no etcd");
  let text = "";
  for await (const chunk of admin.logs(CP2, "kubelet")) text += Buffer.from(chunk).toString();
  assert.match(text, /kubelet/);
  let k8s = "";
  for await (const chunk of admin.logs(CP1, "kube-system/kube-apiserver-cp1", { kubernetes: true }))
    k8s += Buffer.from(chunk).toString();
  assert.match(k8s, /kube-apiserver-cp1 started/);
  const lines: string[] = [];
  for await (const chunk of admin.dmesg(W1)) lines.push(Buffer.from(chunk).toString());
  assert.match(lines[0]!, /^kern: +info: \[.*\]: Linux version/);
  const bootId = Buffer.from(await admin.read(CP1, "/proc/sys/kernel/random/boot_id"))
    .toString()
    .trim();
  assert.equal(bootId, fleet.node(CP1).bootId);
  await assert.rejects(admin.read(CP1, "/nope"), (e: Error) => /no such file/.test(e.message));
});

test("bootstrap, etcd members/status/snapshot, kubeconfig, health check", async () => {
  await assert.rejects(admin.bootstrap(W1), /only available on control plane/);
  await admin.bootstrap(CP1);
  await assert.rejects(admin.bootstrap(CP1), /not empty/);
  const members = await admin.etcdMembers([CP1, CP2]);
  for (const m of members) assert.deepEqual(m.value!.members.map((x) => x.hostname).sort(), ["cp1", "cp2"]);
  const [w] = await admin.etcdMembers([W1]);
  assert.equal(w!.error?.code, Code.Unimplemented);
  const [st] = await admin.etcdStatus([CP2]);
  assert.equal(typeof st!.value!.memberId, "bigint");
  const snap = inspectSnapshot(await admin.etcdSnapshot(CP1));
  assert.equal(snap.hashVerified, true);
  assert.deepEqual(
    snap.members!.map((m) => m.name),
    ["cp1", "cp2"],
  );
  const kubeconfig = await admin.kubeconfig(CP1);
  assert.match(kubeconfig, /kind: Config/);
  assert.match(kubeconfig, new RegExp(`server: https://${CP1.replace(/\./g, "\\.")}:6443`));
  const lines: string[] = [];
  for await (const l of admin.healthCheck(
    CP1,
    { controlPlaneNodes: [CP1, CP2], workerNodes: [W1] },
    { waitTimeoutMs: 2000 },
  ))
    lines.push(l);
  assert.equal(lines[0], `discovered nodes: ["${CP1}","${CP2}","${W1}"]`);
  assert.ok(lines.includes("waiting for etcd to be healthy: OK"));
  assert.equal(lines.at(-1), "waiting for all nodes to finish boot sequence: OK");
});

test("COSI get/list/watch with yaml specs", async () => {
  const ms = await admin.getResource(W1, "runtime", "MachineStatuses.runtime.talos.dev", "machine");
  assert.deepEqual(ms.spec, { stage: "running", status: { ready: true, unmetConditions: [] } });
  const members = await admin.listResources(CP1, "cluster", "Members.cluster.talos.dev");
  assert.deepEqual(
    members.map((m) => m.id),
    ["cp1", "cp2", "w1"],
  );
  const mc = await admin.getResource(CP1, "config", "MachineConfigs.config.talos.dev", "v1alpha1");
  assert.match(String(mc.spec), /hostname: cp1/);
  for (const type of [
    "TimeStatuses.v1alpha1.talos.dev",
    "AddressStatuses.net.talos.dev",
    "RouteStatuses.net.talos.dev",
    "ResolverStatuses.net.talos.dev",
    "ExtensionStatuses.runtime.talos.dev",
  ]) {
    await admin.listResources(CP2, "", type);
  }
  await assert.rejects(admin.listResources(CP1, "runtime", "Nope.talos.dev"), (e: Error) =>
    /not supported/.test(e.message),
  );
  const ac = new AbortController();
  const seen: string[] = [];
  for await (const ev of admin.watchResources(CP1, "runtime", "MachineStatuses.runtime.talos.dev", {
    id: "machine",
    signal: ac.signal,
  })) {
    seen.push(ev.type);
    ac.abort();
  }
  assert.deepEqual(seen, ["created"]);
});

test("the Kubeconfig RPC hands out a working (minimal) Kubernetes API: nodes, cordon, pods, eviction", async () => {
  const { parse } = await import("yaml");
  const https = await import("node:https");
  const kc = parse(await admin.kubeconfig(CP1)) as {
    clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
    users: { user: { "client-certificate-data": string; "client-key-data": string } }[];
  };
  const server = new URL(kc.clusters[0]!.cluster.server);
  assert.equal(server.hostname, CP1);
  const b = (s: string) => Buffer.from(s, "base64").toString();
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ code: number; json: Record<string, unknown> }>((resolve, reject) => {
      const req = https.request(
        {
          host: server.hostname,
          port: Number(server.port),
          method,
          path,
          ca: b(kc.clusters[0]!.cluster["certificate-authority-data"]),
          cert: b(kc.users[0]!.user["client-certificate-data"]),
          key: b(kc.users[0]!.user["client-key-data"]),
          headers: { "content-type": "application/merge-patch+json" },
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () =>
            resolve({ code: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }),
          );
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const nodes = await call("GET", "/api/v1/nodes");
  assert.deepEqual(
    (nodes.json["items"] as { metadata: { name: string } }[]).map((n) => n.metadata.name),
    ["cp1", "cp2", "w1"],
  );
  const cordoned = await call("PATCH", "/api/v1/nodes/w1", { spec: { unschedulable: true } });
  assert.equal((cordoned.json["spec"] as { unschedulable: boolean }).unschedulable, true);
  const pods = await call("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dw1");
  const items = pods.json["items"] as {
    metadata: { name: string; namespace: string; ownerReferences: { kind: string }[] };
  }[];
  const app = items.find((p) => p.metadata.ownerReferences[0]?.kind === "ReplicaSet")!;
  assert.ok(app, "a workload pod runs on the worker");
  assert.equal(
    (
      await call("POST", `/api/v1/namespaces/${app.metadata.namespace}/pods/${app.metadata.name}/eviction`, {
        apiVersion: "policy/v1",
        kind: "Eviction",
      })
    ).code,
    201,
  );
  assert.equal((await call("GET", `/api/v1/namespaces/${app.metadata.namespace}/pods/${app.metadata.name}`)).code, 404);
  const uncordoned = await call("PATCH", "/api/v1/nodes/w1", { spec: { unschedulable: null } });
  assert.equal((uncordoned.json["spec"] as { unschedulable?: boolean }).unschedulable, undefined);
});

test("apid's one-to-many `nodes` proxying: hostnames injected, failures become messages, COSI refused", async () => {
  const { createClient } = await import("@connectrpc/connect");
  const { openTransport } = await import("../talosapi/transport.js");
  const { MachineService } = await import("../gen/machine/machine_pb.js");
  const { State } = await import("../gen/v1alpha1/state_pb.js");
  const cert = await makeClientCert(ca, ["os:admin"]);
  const t = await openTransport({
    endpoint: CP1,
    credentials: { kind: "mtls", ca: ca.crt, crt: cert.crt, key: cert.key },
    env,
  });
  try {
    const machine = createClient(MachineService, t.transport);
    const headers = { nodes: `${CP2}, ${W1}, 127.0.21.99` };
    const v = await machine.version({}, { headers });
    assert.deepEqual(
      v.messages.map((m) => [m.metadata?.hostname, m.version?.tag ?? "", m.metadata?.error ? "error" : "ok"]),
      [
        [CP2, "v1.12.6", "ok"],
        [W1, "v1.14.0", "ok"],
        ["127.0.21.99", "", "error"],
      ],
    );
    const etcd = await machine.etcdMemberList({}, { headers: { nodes: `${CP1},${W1}` } });
    assert.equal(etcd.messages[0]!.members.length, 2);
    assert.match(etcd.messages[1]!.metadata!.error, /only available on control plane nodes/);
    assert.equal(etcd.messages[1]!.metadata!.status?.code, 12);
    const hosts = new Set<string>();
    for await (const d of machine.logs(
      { namespace: "system", id: "kubelet", tailLines: -1 },
      { headers: { nodes: `${CP1},${W1}` } },
    ))
      hosts.add(d.metadata!.hostname);
    assert.deepEqual([...hosts].sort(), [CP1, W1]);
    const state = createClient(State, t.transport);
    await assert.rejects(
      state.get(
        { namespace: "runtime", type: "MachineStatuses.runtime.talos.dev", id: "machine" },
        { headers: { nodes: CP2 } },
      ),
      /one-2-many proxying is not supported for COSI/,
    );
  } finally {
    t.close();
  }
});

test("ServiceRestart, and logs --follow streams the restart as it happens", async () => {
  const ac = new AbortController();
  const lines: string[] = [];
  const following = (async () => {
    for await (const chunk of admin.logs(W1, "kubelet", { follow: true, tail: 0, signal: ac.signal })) {
      lines.push(Buffer.from(chunk).toString());
      if (lines.join("").includes("restarted by API")) ac.abort();
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  const [r] = await admin.serviceRestart("kubelet", [W1]);
  assert.equal(r!.value, 'Service "kubelet" restarted');
  await following;
  assert.match(lines.join(""), /kubelet\[\d+\]: service kubelet restarted by API/);
  const [missing] = await admin.serviceRestart("nope", [W1]);
  assert.equal(missing!.error?.code, Code.NotFound);
});

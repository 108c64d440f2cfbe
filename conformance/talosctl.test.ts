// The talosctl scenario suite: the real talosctl (v1.13.9, built by scripts/install-oracles.sh) drives a `talform sim
// up` child process the way a homelab operator drives Talos — maintenance mode, install, bootstrap, inspection, COSI
// reads, etcd maintenance, health, config changes, upgrade, reboot, reset, shutdown — and every role. Each scenario
// asserts talosctl's exit code and the shape of its output as Talos gives them (talosctl's own formatting code
// prints what the simulator answers, so a misread field shows up here). Addresses 127.0.41.x belong to this file.
// docs/simulator.md has the table of commands (works / partial / not simulated) this suite backs.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { decodeEtcdDb } from "../src/etcd/etcd-db.js";
import { inspectSnapshot } from "../src/etcd/snapshot.js";
import { runOracle } from "./support/oracles.js";
import { bootId as bootIdOn, esc, fails, ok, running as runningOn, show, waitFor } from "./support/talosctl-asserts.js";
import { startTalosctlSim, type TalosRole, type TalosctlSim } from "./support/talosctl-sim.js";

const CP1 = "127.0.41.1";
const CP2 = "127.0.41.2";
const W1 = "127.0.41.3";
const M1 = "127.0.41.4";

let sim: TalosctlSim;

const ctl = (args: string[], role?: TalosRole, timeoutMs?: number) =>
  sim.talosctl(args, { ...(role ? { role } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
const running = (node: string) => runningOn(sim, node);

before(async () => {
  sim = await startTalosctlSim("demo", [
    { hostname: "cp1", address: CP1, controlPlane: true, talosVersion: "v1.13.9" },
    { hostname: "cp2", address: CP2, controlPlane: true, talosVersion: "v1.13.9" },
    { hostname: "w1", address: W1, controlPlane: false, talosVersion: "v1.13.9" },
    { hostname: "m1", address: M1, controlPlane: false, talosVersion: "v1.13.9" },
  ]);
});

after(async () => {
  // A simulator that died mid-suite explains every later failure: show what it printed.
  if (sim && sim.process.exitCode !== null && sim.process.exitCode !== 0)
    console.error(`talform sim up exited ${sim.process.exitCode}:\n${sim.log()}`);
  await sim?.stop();
});

test("maintenance mode (1.13): version, get disks/links/machinestatus, apply-config dry-run and staged", async () => {
  ok(await ctl(["version", "--insecure", "-n", M1]), /Server:\n\tNODE:\s+\n?[\s\S]*Tag:\s+v1\.13\.9/);
  ok(
    await ctl(["get", "disks", "--insecure", "-n", M1]),
    /NAMESPACE\s+TYPE\s+ID\s+VERSION\s+SIZE\s+READ ONLY\s+TRANSPORT[\s\S]*runtime\s+Disk\s+sda\s+\d+\s+107 GB/,
  );
  ok(await ctl(["get", "links", "--insecure", "-n", M1]), /network\s+LinkStatus\s+eth0\s+\d+\s+ether/);
  ok(
    await ctl(["get", "machinestatus", "--insecure", "-n", M1]),
    /runtime\s+MachineStatus\s+machine\s+\d+\s+maintenance\s+false/,
  );
  // 1.13 answers from machined: the dry run shows its summary and the diff against no config at all.
  const dry = await ctl(["apply-config", "--insecure", "-n", M1, "--file", sim.configs.worker, "--dry-run"]);
  ok(
    dry,
    undefined,
    /^Dry run summary:\nApplied configuration without a reboot \(skipped in dry-run\)\.\nConfig diff:\n\n--- a\n\+\+\+ b\n@@ -1,0 \+1,\d+ @@\n\+version: v1alpha1/,
  );
  ok(
    await ctl(["apply-config", "--insecure", "-n", M1, "--file", sim.configs.worker, "--mode", "staged"]),
    undefined,
    /Staged configuration to be applied after the next reboot/,
  );
  ok(await ctl(["get", "machinestatus", "--insecure", "-n", M1]), /maintenance\s+false/);
});

test("install: apply-config --insecure on every node, then the mTLS API answers", async () => {
  for (const [node, file] of [
    [CP1, sim.configs.controlplane],
    [CP2, sim.configs.controlplane],
    [W1, sim.configs.worker],
  ] as const) {
    ok(
      await ctl(["apply-config", "--insecure", "-n", node, "--file", file]),
      undefined,
      /^Applied configuration without a reboot$/m,
    );
  }
  for (const node of [CP1, CP2, W1]) await waitFor(`${node} running`, running(node));
  ok(await ctl(["version", "-n", CP1]), new RegExp(`Server:\\n\\tNODE:\\s+${esc(CP1)}\\n\\tTag:\\s+v1\\.13\\.9`));
});

test("bootstrap: once, and a second time AlreadyExists", async () => {
  ok(await ctl(["bootstrap", "-n", CP1]));
  fails(await ctl(["bootstrap", "-n", CP1]), /AlreadyExists/);
  await waitFor("etcd on cp2", async () => /etcd\s+Running\s+OK/.test((await ctl(["services", "-n", CP2])).stdout));
});

test("services / service / logs / logs -k / dmesg", async () => {
  ok(
    await ctl(["services", "-n", CP1]),
    /^NODE\s+SERVICE\s+STATE\s+HEALTH\s+LAST CHANGE\s+LAST EVENT\n[\s\S]*etcd\s+Running\s+OK\s+\S+ ago\s+/m,
  );
  const worker = await ctl(["services", "-n", W1]);
  ok(worker, /kubelet\s+Running\s+OK/);
  assert.doesNotMatch(worker.stdout, /etcd/);
  ok(await ctl(["service", "etcd", "-n", CP1]), /ID\s+etcd\n[\s\S]*STATE\s+Running\n[\s\S]*HEALTH\s+OK/);
  ok(await ctl(["logs", "kubelet", "-n", CP1]), new RegExp(`^${esc(CP1)}: .*kubelet`, "m"));
  ok(await ctl(["logs", "-k", "kube-system/kube-apiserver-cp1:kube-apiserver", "-n", CP1]), /kube-apiserver-cp1/);
  fails(await ctl(["logs", "nope", "-n", CP1]), /log "nope" was not registered/);
  const dmesg = await ctl(["dmesg", "-n", CP1]);
  ok(dmesg, /Linux version/);
  // One record per line, each prefixed with the node (records carry their newline).
  const lines = dmesg.stdout.trim().split("\n");
  assert.ok(lines.length >= 3 && lines.every((l) => l.startsWith(`${CP1}: `)), show(dmesg));
});

test("events: talosctl events streams the node's machine events", async () => {
  const r = await sim.talosctlUntil(["events", "-n", CP1, "--tail", "5"], 3000);
  assert.match(r.stdout, /^NODE\s+ID\s+EVENT\s+ACTOR\s+SOURCE\s+MESSAGE/m, show(r));
  assert.match(r.stdout, /machine\.(ServiceStateEvent|MachineStatusEvent|SequenceEvent)/, show(r));
  assert.doesNotMatch(r.stderr, /serialize|Internal/, show(r));
});

/** Every resource type the simulator serves: by alias, by full type name, in each output format. */
const RESOURCES: { alias: string; type: string; id: string; table: RegExp }[] = [
  {
    alias: "members",
    type: "Members.cluster.talos.dev",
    id: "cp1",
    table: /cluster\s+Member\s+cp1\s+\d+\s+cp1\s+controlplane\s+Talos \(v1\.13\.9\)\s+\["127\.0\.41\.1"\]/,
  },
  {
    alias: "machinestatus",
    type: "MachineStatuses.runtime.talos.dev",
    id: "machine",
    table: /runtime\s+MachineStatus\s+machine\s+\d+\s+running\s+true/,
  },
  {
    alias: "mc",
    type: "MachineConfigs.config.talos.dev",
    id: "v1alpha1",
    table: /config\s+MachineConfig\s+v1alpha1\s+\d+/,
  },
  {
    alias: "addresses",
    type: "AddressStatuses.net.talos.dev",
    id: "eth0/127.0.41.1/8",
    table: /network\s+AddressStatus\s+eth0\/127\.0\.41\.1\/8\s+\d+\s+127\.0\.41\.1\/8\s+eth0/,
  },
  {
    alias: "routes",
    type: "RouteStatuses.net.talos.dev",
    id: "inet4/127.0.0.1//1024",
    table: /network\s+RouteStatus\s+\S+\s+\d+\s+127\.0\.0\.1\s+eth0\s+1024/,
  },
  {
    alias: "resolvers",
    type: "ResolverStatuses.net.talos.dev",
    id: "resolvers",
    table: /network\s+ResolverStatus\s+resolvers\s+\d+\s+\[/,
  },
  {
    alias: "timeservers",
    type: "TimeServerStatuses.net.talos.dev",
    id: "timeservers",
    table: /network\s+TimeServerStatus\s+timeservers\s+\d+\s+\["/,
  },
  {
    alias: "links",
    type: "LinkStatuses.net.talos.dev",
    id: "eth0",
    table: /network\s+LinkStatus\s+eth0\s+\d+\s+ether\s+/,
  },
  {
    alias: "hostname",
    type: "HostnameStatuses.net.talos.dev",
    id: "hostname",
    table: /network\s+HostnameStatus\s+hostname\s+\d+\s+cp1/,
  },
  {
    alias: "timestatus",
    type: "TimeStatuses.v1alpha1.talos.dev",
    id: "node",
    table: /runtime\s+TimeStatus\s+node\s+\d+\s+true/,
  },
  {
    alias: "svc",
    type: "Services.v1alpha1.talos.dev",
    id: "etcd",
    table: /runtime\s+Service\s+etcd\s+\d+\s+true\s+true\s+false/,
  },
  {
    alias: "nodename",
    type: "Nodenames.kubernetes.talos.dev",
    id: "nodename",
    table: /k8s\s+Nodename\s+nodename\s+\d+\s+cp1/,
  },
  {
    alias: "podstatus",
    type: "StaticPodStatuses.kubernetes.talos.dev",
    id: "kube-system/kube-apiserver-cp1",
    table: /k8s\s+StaticPodStatus\s+kube-system\/kube-apiserver-cp1\s+\d+\s+True/,
  },
  { alias: "disks", type: "Disks.block.talos.dev", id: "sda", table: /runtime\s+Disk\s+sda\s+\d+\s+107 GB/ },
  {
    alias: "extensions",
    type: "ExtensionStatuses.runtime.talos.dev",
    id: "",
    table: /NAMESPACE\s+TYPE\s+ID\s+VERSION\s+NAME\s+VERSION/,
  },
  {
    alias: "rd",
    type: "ResourceDefinitions.meta.cosi.dev",
    id: "members.cluster.talos.dev",
    table: /meta\s+ResourceDefinition\s+members\.cluster\.talos\.dev/,
  },
];

test("get: every resource type by alias and by full type name, -o table|yaml|json", async () => {
  for (const r of RESOURCES) {
    ok(await ctl(["get", r.alias, "-n", CP1]), r.table);
    ok(await ctl(["get", r.type, "-n", CP1]), r.table);
    if (!r.id) continue;
    const yaml = await ctl(["get", r.alias, r.id, "-n", CP1, "-o", "yaml"]);
    ok(yaml, new RegExp(`^metadata:\\n    namespace: \\S+\\n    type: ${esc(r.type)}\\n    id: ${esc(r.id)}\\n`, "m"));
    assert.match(yaml.stdout, /^spec:/m, show(yaml));
    const json = await ctl(["get", r.alias, r.id, "-n", CP1, "-o", "json"]);
    ok(json);
    const parsed = JSON.parse(json.stdout) as { node: string; metadata: { id: string; type: string }; spec: unknown };
    assert.equal(parsed.metadata.id, r.id);
    assert.equal(parsed.metadata.type, r.type);
    assert.ok(parsed.spec !== undefined && parsed.spec !== null, show(json));
  }
  const yaml = await ctl(["get", "members", "cp1", "-n", CP1, "-o", "yaml"]);
  assert.match(
    yaml.stdout,
    /spec:\n {4}nodeId: cp1\n {4}addresses:\n {8}- 127\.0\.41\.1\n {4}hostname: cp1\n {4}machineType: controlplane/,
    show(yaml),
  );
  fails(await ctl(["get", "nosuchthing", "-n", CP1]), /resource "nosuchthing" is not registered/);
});

test("get --watch: the current state, then changes", async () => {
  const r = await sim.talosctlUntil(["get", "members", "--watch", "-n", CP1], 2500);
  assert.match(r.stdout, /^NODE\s+\*?\s*NAMESPACE\s+TYPE\s+ID/m, show(r));
  assert.match(r.stdout, /\+\s+cluster\s+Member\s+cp1/, show(r));
});

test("inspection: containers (-k), stats, memory, processes, ls, read, mounts, usage, time, netstat, image list", async () => {
  ok(
    await ctl(["containers", "-n", CP1]),
    /^NODE\s+NAMESPACE\s+ID\s+IMAGE\s+PID\s+STATUS\n[\s\S]*system\s+└─ etcd\s+gcr\.io\/etcd-development\/etcd:v3\.6\.12/m,
  );
  ok(
    await ctl(["containers", "-k", "-n", CP1]),
    /k8s\.io\s+└─ kube-system\/kube-apiserver-cp1:kube-apiserver\s+registry\.k8s\.io\/kube-apiserver:v\S+\s+\d+\s+CONTAINER_RUNNING/,
  );
  ok(await ctl(["stats", "-n", CP1]), /^NODE\s+NAMESPACE\s+ID\s+MEMORY\(MB\)\s+CPU\n/m);
  ok(
    await ctl(["memory", "-n", CP1]),
    /^NODE\s+TOTAL\s+USED\s+FREE\s+SHARED\s+BUFFERS\s+CACHE\s+AVAILABLE\n\S+\s+8192\s+/m,
  );
  ok(
    await ctl(["processes", "-n", CP1]),
    /^NODE\s+PID\s+STATE\s+THREADS\s+CPU-TIME\s+VIRTMEM\s+RESMEM\s+LABEL\s+COMMAND\n[\s\S]*\/sbin\/etcd/m,
  );
  ok(await ctl(["ls", "/var", "-n", CP1]), /^NODE\s+NAME\n[\s\S]*\s+lib\n/m);
  fails(await ctl(["ls", "/nope", "-n", CP1]), /no such file or directory/);
  ok(await ctl(["read", "/proc/modules", "-n", CP1]), /^overlay \d+ 0 - Live/m);
  ok(
    await ctl(["mounts", "-n", CP1]),
    /^NODE\s+FILESYSTEM\s+SIZE\(GB\)\s+USED\(GB\)\s+AVAILABLE\(GB\)\s+PERCENT USED\s+MOUNTED ON\n[\s\S]*\/var\n/m,
  );
  ok(await ctl(["usage", "/var", "-n", CP1]), /^NODE\s+SIZE\s+NAME\n/m);
  ok(await ctl(["time", "-n", CP1]), /^NODE\s+NTP-SERVER\s+NODE-TIME\s+NTP-SERVER-TIME\n/m);
  ok(await ctl(["netstat", "-n", CP1]), /tcp\s+0\s+0\s+127\.0\.41\.1:50000\s+0\.0\.0\.0:\*\s+LISTEN/);
  ok(
    await ctl(["image", "list", "-n", CP1]),
    /^NODE\s+IMAGE\s+DIGEST\s+SIZE\s+LABELS\s+CREATED\n[\s\S]*ghcr\.io\/siderolabs\/installer:v1\.13\.9/m,
  );
  ok(await ctl(["image", "pull", "ghcr.io/siderolabs/installer:v1.13.9", "-n", CP1]));
});

test("unserved RPCs answer a real gRPC Unimplemented status", async () => {
  fails(
    await ctl(["config", "new", join(sim.dir, "x"), "--roles", "os:reader", "-n", CP1]),
    /code = Unimplemented desc = method GenerateClientConfiguration not implemented/,
  );
});

/**
 * `talosctl etcd snapshot` checks etcd's sha256 trailer and runs etcdutl's `snapshot status` on the file itself; the
 * etcdutl oracle then reads it (bbolt's integrity check, hash, revision, key count) and restores it into a data
 * directory, and talform's reader agrees with both.
 */
async function etcdSnapshotIsReal(): Promise<void> {
  const path = join(sim.dir, "db.snap");
  const snap = await ctl(["etcd", "snapshot", path, "-n", CP1]);
  ok(
    snap,
    /etcd snapshot saved to ".*db\.snap" \(\d+ bytes\)\nsnapshot info: hash [0-9a-f]{8}, revision \d+, total keys \d+, total size \d+/,
  );
  const [, hash, revision, keys] = /hash ([0-9a-f]{8}), revision (\d+), total keys (\d+)/.exec(snap.stdout)!;
  const status = await runOracle("etcdutl", ["snapshot", "status", path, "-w", "json"]);
  assert.equal(status.code, 0, show(status));
  const st = JSON.parse(status.stdout) as { hash: number; revision: number; totalKey: number; version: string };
  assert.deepEqual(
    [st.hash.toString(16).padStart(8, "0"), st.revision, st.totalKey, st.version],
    [hash, Number(revision), Number(keys), "3.6.0"],
  );
  assert.ok(st.totalKey > 0, "the snapshot carries the simulated Kubernetes objects");
  const info = inspectSnapshot(await readFile(path));
  assert.deepEqual([info.format, info.hash, info.totalKeys], ["bbolt", st.hash, st.totalKey]);
  assert.deepEqual(info.members?.map((m) => m.name).sort(), ["cp1", "cp2"]);
  const restored = join(sim.dir, "restored");
  const restore = await runOracle("etcdutl", [
    "snapshot",
    "restore",
    path,
    "--data-dir",
    restored,
    "--name",
    "cp1",
    "--initial-cluster",
    `cp1=https://${CP1}:2380`,
    "--initial-advertise-peer-urls",
    `https://${CP1}:2380`,
  ]);
  assert.equal(restore.code, 0, show(restore));
  const db = decodeEtcdDb(await readFile(join(restored, "member", "snap", "db")));
  assert.equal(db.keys.length, st.totalKey, "etcd's restore keeps every key");
}

test("etcd: members, status (3.6 on 1.13), alarm list, defrag, snapshot (bbolt, etcdutl reads it), forfeit-leadership, leave, remove-member", async () => {
  ok(
    await ctl(["etcd", "members", "-n", CP1]),
    /^NODE\s+ID\s+HOSTNAME\s+PEER URLS\s+CLIENT URLS\s+LEARNER\n[\s\S]*cp1\s+https:\/\/127\.0\.41\.1:2380[\s\S]*cp2\s+/m,
  );
  ok(
    await ctl(["etcd", "status", "-n", CP1]),
    /^NODE\s+MEMBER\s+DB SIZE\s+IN USE\s+LEADER[\s\S]*\s3\.6\.12\s+3\.6\.0/m,
  );
  ok(await ctl(["etcd", "alarm", "list", "-n", CP1]));
  ok(await ctl(["etcd", "defrag", "-n", CP1]));
  await etcdSnapshotIsReal();
  ok(await ctl(["etcd", "forfeit-leadership", "-n", CP1]));
  ok(await ctl(["etcd", "leave", "-n", CP2]));
  const members = await ctl(["etcd", "members", "-n", CP1]);
  assert.doesNotMatch(members.stdout, /cp2/, show(members));
  fails(await ctl(["etcd", "remove-member", "1234", "-n", CP1]), /member not found/);
  // cp2 rejoins when its etcd starts again (reboot).
  ok(await ctl(["reboot", "-n", CP2, "--wait=false"]));
  await waitFor("cp2 back in etcd", async () => /cp2/.test((await ctl(["etcd", "members", "-n", CP1])).stdout));
});

test("health: server-side, and the Talos part of client-side", async () => {
  await waitFor("cp2 running", running(CP2));
  ok(
    await ctl(["health", "-n", CP1, "--wait-timeout", "30s"], undefined, 60_000),
    undefined,
    /waiting for etcd to be healthy: OK[\s\S]*waiting for all nodes to finish boot sequence: OK/,
  );
  // Client side, talosctl runs Talos's 16 checks itself against the Talos and Kubernetes APIs: all pass (disk sizes
  // and diagnostics SKIP, as Talos's checks do when the node refuses those resource types).
  const client = await ctl(["health", "-n", CP1, "--server=false", "--wait-timeout", "30s"], undefined, 60_000);
  ok(
    client,
    undefined,
    /waiting for all nodes memory sizes: OK[\s\S]*waiting for kubelet to be healthy: OK[\s\S]*waiting for all nodes to finish boot sequence: OK[\s\S]*waiting for all k8s nodes to report: OK[\s\S]*waiting for all control plane static pods to be running: OK[\s\S]*waiting for all control plane components to be ready: OK[\s\S]*waiting for all k8s nodes to report ready: OK[\s\S]*waiting for kube-proxy to report ready: OK[\s\S]*waiting for coredns to report ready: OK[\s\S]*waiting for all k8s nodes to report schedulable: OK/,
  );
});

test("kubeconfig", async () => {
  const path = join(sim.dir, "kubeconfig");
  ok(await ctl(["kubeconfig", path, "-n", CP1]));
  assert.match(await readFile(path, "utf8"), /clusters:[\s\S]*server: https:\/\//);
  fails(await ctl(["kubeconfig", join(sim.dir, "kc2"), "-n", W1]), /control plane/);
});

test("apply-config in normal mode: dry-run diff, no-reboot, staged, try, auto", async () => {
  const patched = join(sim.dir, "worker-ntp.yaml");
  const text = await readFile(sim.configs.worker, "utf8");
  await writeFile(
    patched,
    text.replace(/^machine:\n/m, "machine:\n    time:\n        servers:\n            - 127.0.0.123\n"),
  );
  ok(
    await ctl(["apply-config", "-n", W1, "--file", sim.configs.worker, "--dry-run"]),
    undefined,
    /Config diff:\n\nNo changes\./,
  );
  ok(
    await ctl(["apply-config", "-n", W1, "--file", patched, "--dry-run"]),
    undefined,
    /Dry run summary:\nApplied configuration without a reboot \(skipped in dry-run\)\.\nConfig diff:\n\n--- a\n\+\+\+ b\n@@ [\s\S]*\+ {8}servers:/,
  );
  ok(
    await ctl(["apply-config", "-n", W1, "--file", patched, "--mode", "no-reboot"]),
    undefined,
    /Applied configuration without a reboot/,
  );
  ok(await ctl(["get", "timeservers", "-n", W1]), /\["127\.0\.0\.123"\]/);
  ok(
    await ctl(["apply-config", "-n", W1, "--file", sim.configs.worker, "--mode", "staged"]),
    undefined,
    /Staged configuration to be applied after the next reboot/,
  );
  ok(
    await ctl(["apply-config", "-n", W1, "--file", patched, "--mode", "try", "--timeout", "1m"]),
    undefined,
    /will be automatically reverted back in 1m0s/,
  );
  ok(
    await ctl(["apply-config", "-n", W1, "--file", sim.configs.worker]),
    undefined,
    /Applied configuration without a reboot/,
  );
});

test("patch mc and edit mc", async () => {
  const patch = join(sim.dir, "patch.yaml");
  await writeFile(patch, "machine:\n  time:\n    servers:\n      - 127.0.0.124\n");
  ok(
    await ctl(["patch", "mc", "-n", W1, "--patch", `@${patch}`, "--dry-run"]),
    undefined,
    /Config diff:[\s\S]*127\.0\.0\.124/,
  );
  ok(
    await ctl(["patch", "mc", "-n", W1, "--patch", `@${patch}`, "--mode", "no-reboot"]),
    undefined,
    /patched MachineConfigs\.config\.talos\.dev\/v1alpha1 at the node 127\.0\.41\.3/,
  );
  ok(await ctl(["get", "timeservers", "-n", W1]), /127\.0\.0\.124/);
  // An editor that changes nothing: talosctl notices and applies nothing.
  ok(
    await sim.talosctl(["edit", "mc", "-n", W1], { env: { EDITOR: "true" } }),
    undefined,
    /Apply was skipped: no changes detected/,
  );
});

test("upgrade: --stage, --legacy, and the default (Lifecycle API, drain off here)", async () => {
  ok(
    await ctl(
      ["upgrade", "-n", W1, "--image", "ghcr.io/siderolabs/installer:v1.13.9", "--drain=false", "--wait=false"],
      undefined,
      60_000,
    ),
    undefined,
    /pulled image[\s\S]*upgrade completed/,
  );
  await waitFor("w1 back", running(W1));
  const legacy = await ctl(
    [
      "upgrade",
      "-n",
      W1,
      "--image",
      "ghcr.io/siderolabs/installer:v1.13.9",
      "--legacy",
      "--drain=false",
      "--wait=false",
    ],
    undefined,
    60_000,
  );
  ok(legacy, /NODE\s+ACK\s+STARTED\n\S+\s+Upgrade request received/, /Forcing use of legacy upgrade method/);
  await waitFor("w1 back", running(W1));
  ok(
    await ctl(
      [
        "upgrade",
        "-n",
        W1,
        "--image",
        "ghcr.io/siderolabs/installer:v1.13.9",
        "--legacy",
        "--stage",
        "--drain=false",
        "--wait=false",
      ],
      undefined,
      60_000,
    ),
    /Upgrade request received/,
  );
  await waitFor("w1 back", running(W1));
  fails(
    await ctl(
      ["upgrade", "-n", W1, "--image", "example.com/not-an-installer:latest", "--drain=false"],
      undefined,
      60_000,
    ),
    /not a Talos installer image reference/,
  );
});

const bootId = (node: string) => bootIdOn(sim, node);

test("reboot (default and --mode powercycle): a new boot id", async () => {
  // `reboot --wait` (talosctl's event tracker) is in talosctl-lifecycle.test.ts: it resubscribes to events after a
  // fixed 1 s, so it needs a time scale at which the node stays down longer than that (real machines always do).
  for (const extra of [[], ["--mode", "powercycle"]]) {
    const before = await bootId(W1);
    ok(await ctl(["reboot", "-n", W1, ...extra, "--wait=false"]));
    await waitFor("w1 rebooted", async () => {
      const now = await bootId(W1).catch(() => "");
      return now !== "" && now !== before && (await running(W1)());
    });
  }
});

/** Mutating calls and the roles Talos allows them (machined's authorization rules); others get PermissionDenied. */
const ROLE_CASES: { args: string[]; allowed: TalosRole[] }[] = [
  { args: ["reboot", "-n", W1, "--wait=false"], allowed: ["os:operator"] },
  { args: ["service", "kubelet", "restart", "-n", W1], allowed: ["os:operator"] },
  { args: ["etcd", "snapshot", "ROLE.db", "-n", CP1], allowed: ["os:operator", "os:etcd:backup"] },
  { args: ["etcd", "defrag", "-n", CP1], allowed: ["os:operator"] },
  { args: ["apply-config", "-n", W1, "--file", "WORKER", "--mode", "no-reboot"], allowed: [] },
  {
    args: ["upgrade", "-n", W1, "--image", "ghcr.io/siderolabs/installer:v1.13.9", "--drain=false", "--wait=false"],
    allowed: [],
  },
  { args: ["bootstrap", "-n", CP1], allowed: [] },
  { args: ["kubeconfig", "KC", "-n", CP1], allowed: [] },
  { args: ["read", "/proc/modules", "-n", CP1], allowed: [] },
  { args: ["etcd", "leave", "-n", CP2], allowed: [] },
  { args: ["reset", "-n", W1, "--wait=false"], allowed: [] },
  { args: ["shutdown", "-n", W1, "--wait=false"], allowed: ["os:operator"] },
];

test("roles: os:reader, os:operator, os:etcd:backup on every mutating call", async () => {
  for (const c of ROLE_CASES) {
    for (const role of ["os:reader", "os:operator", "os:etcd:backup"] as const) {
      if (c.allowed.includes(role)) continue; // allowed calls run once, below, as they change the cluster
      const args = c.args.map((a) =>
        a === "WORKER"
          ? sim.configs.worker
          : a === "ROLE.db"
            ? join(sim.dir, `${role}.db`)
            : a === "KC"
              ? join(sim.dir, `kc-${role}`)
              : a,
      );
      const r = await ctl(args, role, 60_000);
      fails(r, /PermissionDenied desc = not authorized/);
    }
  }
  ok(await ctl(["service", "kubelet", "restart", "-n", W1], "os:operator"), /Service "kubelet" restarted/);
  ok(await ctl(["etcd", "defrag", "-n", CP1], "os:operator"));
  const snap = await ctl(["etcd", "snapshot", join(sim.dir, "backup.db"), "-n", CP1], "os:etcd:backup");
  assert.match(snap.stdout, /etcd snapshot saved to/, show(snap));
  ok(await ctl(["version", "-n", CP1], "os:reader"), /Tag:\s+v1\.13\.9/);
  ok(await ctl(["get", "members", "-n", CP1], "os:reader"), /Member\s+cp1/);
  fails(await ctl(["get", "members", "-n", CP1], "os:etcd:backup"), /not authorized/);
  ok(await ctl(["reboot", "-n", W1, "--wait=false"], "os:operator"));
  await waitFor("w1 back", running(W1));
});

test("reset --graceful=false --reboot: the node comes back in maintenance mode", async () => {
  ok(await ctl(["reset", "-n", CP2, "--graceful=false", "--reboot", "--wait=false"]));
  await waitFor("cp2 in maintenance", async () =>
    /maintenance/.test((await ctl(["get", "machinestatus", "--insecure", "-n", CP2])).stdout),
  );
});

test("shutdown: the node stops answering", async () => {
  ok(await ctl(["shutdown", "-n", W1, "--wait=false"]));
  await waitFor("w1 gone", async () => (await ctl(["version", "-n", W1], undefined, 10_000)).code !== 0);
});

test("sim down while talosctl streams are open: the simulator exits, the streams end", async () => {
  // Streams a real talosctl keeps open (logs -f, get --watch) are what kept `sim up` alive after `sim down`.
  const follow = sim.talosctlUntil(["logs", "-f", "kubelet", "-n", CP1], 30_000);
  const watch = sim.talosctlUntil(["get", "members", "--watch", "-n", CP1], 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  const t0 = Date.now();
  const r = await sim.talform(["sim", "down", "--state-dir", sim.stateDir], 30_000);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /simulator stopped/);
  const exit = await Promise.race([
    sim.exited,
    new Promise<undefined>((res) => setTimeout(() => res(undefined), 15_000)),
  ]);
  assert.ok(exit, "talform sim up still running 15 s after `sim down`");
  assert.ok(Date.now() - t0 < 15_000);
  const [f, w] = await Promise.all([follow, watch]);
  assert.ok(Date.now() - t0 < 25_000, `streams ended only after ${Date.now() - t0} ms: ${show(f)} ${show(w)}`);
  fails(await ctl(["version", "-n", CP1], undefined, 10_000), /connection refused|Unavailable|connect/);
});

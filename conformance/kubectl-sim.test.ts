// A real kubectl (k8s.io/kubectl v1.36.3, built by scripts/install-oracles.sh) against the simulated Kubernetes
// API, through the admin kubeconfig the simulated Talos API hands out: discovery, server-side printing, cordon.
// 3 control planes + 2 workers on 127.0.67.x.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimHarness, type SimHarness } from "../src/rollout/test-support.js";
import { runOracle } from "./support/oracles.js";

const NODES = [
  { hostname: "cp1", address: "127.0.67.1", controlPlane: true },
  { hostname: "cp2", address: "127.0.67.2", controlPlane: true },
  { hostname: "cp3", address: "127.0.67.3", controlPlane: true },
  { hostname: "w1", address: "127.0.67.11", controlPlane: false },
  { hostname: "w2", address: "127.0.67.12", controlPlane: false },
];
const FIXTURE = {
  endpoint: "https://127.0.67.100:6443",
  talosVersion: "v1.13.9",
  kubernetesVersion: "1.31.14",
  nodes: NODES,
};

let h: SimHarness;
let dir: string;
let kubeconfig: string;
before(async () => {
  h = await startSimHarness(FIXTURE);
  const desired = await h.render(NODES);
  const r = await h.apply(await h.plan(desired), desired);
  assert.equal(r.ok, true, r.error);
  dir = await mkdtemp(join(tmpdir(), "talform-kubectl-"));
  kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, await h.access.secure("127.0.67.1").kubeconfig("127.0.67.1"), { mode: 0o600 });
});
after(async () => {
  await h?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function kubectl(...args: string[]): Promise<string> {
  // A cache dir of its own: kubectl caches discovery under $HOME/.kube otherwise.
  const r = await runOracle("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), ...args], {
    env: { HOME: dir },
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, `kubectl ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const rows = (out: string) =>
  out
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/));

test("kubectl get nodes -o wide: every node with its status, roles, version, address and OS image", async () => {
  const out = await kubectl("get", "nodes", "-o", "wide");
  const [head, ...body] = rows(out);
  assert.deepEqual(head, [
    "NAME",
    "STATUS",
    "ROLES",
    "AGE",
    "VERSION",
    "INTERNAL-IP",
    "EXTERNAL-IP",
    "OS-IMAGE",
    "KERNEL-VERSION",
    "CONTAINER-RUNTIME",
  ]);
  assert.deepEqual(
    body.map((r) => [r[0], r[1], r[2], r[4], r[5], r[7]]),
    [
      ["cp1", "Ready", "control-plane", "v1.31.14", "127.0.67.1", "Talos (v1.13.9)"],
      ["cp2", "Ready", "control-plane", "v1.31.14", "127.0.67.2", "Talos (v1.13.9)"],
      ["cp3", "Ready", "control-plane", "v1.31.14", "127.0.67.3", "Talos (v1.13.9)"],
      ["w1", "Ready", "<none>", "v1.31.14", "127.0.67.11", "Talos (v1.13.9)"],
      ["w2", "Ready", "<none>", "v1.31.14", "127.0.67.12", "Talos (v1.13.9)"],
    ],
  );
});

test("kubectl get pods -A: the static pods of every control plane and kube-proxy on every node", async () => {
  const [head, ...body] = rows(await kubectl("get", "pods", "-A"));
  assert.deepEqual(head, ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
  const names = body.filter((r) => r[0] === "kube-system").map((r) => r[1]!);
  for (const cp of ["cp1", "cp2", "cp3"])
    for (const c of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"])
      assert.ok(names.includes(`${c}-${cp}`), `${c}-${cp} missing: ${names.join(" ")}`);
  assert.equal(names.filter((n) => n.startsWith("kube-proxy-")).length, 5);
  assert.ok(
    body.every((r) => r[2] === "1/1" && r[3] === "Running"),
    JSON.stringify(body),
  );
  const annotation = await kubectl(
    "get",
    "pod",
    "-n",
    "kube-system",
    "kube-apiserver-cp2",
    "-o",
    "jsonpath={.metadata.annotations.talos\\.dev/config-version} {.spec.containers[0].image}",
  );
  assert.equal(annotation, "1 registry.k8s.io/kube-apiserver:v1.31.14");
});

test("kubectl cordon / uncordon: the node shows SchedulingDisabled, then is schedulable again", async () => {
  assert.match(await kubectl("cordon", "w1"), /node\/w1 cordoned/);
  assert.match(await kubectl("get", "node", "w1"), /w1\s+Ready,SchedulingDisabled/);
  assert.equal((await (await h.access.kube())!.node("w1"))?.unschedulable, true, "the cordon reached the API");
  assert.match(await kubectl("uncordon", "w1"), /node\/w1 uncordoned/);
  assert.match(await kubectl("get", "node", "w1"), /w1\s+Ready\s/);
});

test("kubectl: an object seeded in a removed-later API version is listed under its full resource name", async () => {
  h.fleet.fault("cluster", "deprecated-api=podschedulingcontexts.v1alpha3.resource.k8s.io/default/legacy-claim");
  const out = await kubectl("get", "podschedulingcontexts.v1alpha3.resource.k8s.io", "-A");
  assert.match(out, /default\s+legacy-claim/);
  const missing = await runOracle(
    "kubectl",
    ["--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), "get", "node", "nope"],
    { env: { HOME: dir } },
  );
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nodes "nope" not found/);
});

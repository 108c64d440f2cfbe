// talosctl's waiting lifecycle commands against `talform sim up` at time scale 1: `reboot` and `upgrade` with their
// defaults (--wait, and for upgrade the Kubernetes drain). talosctl's action tracker (cmd/talosctl/pkg/talos/action)
// watches the node's events, sees the reboot sequence start, resubscribes after a fixed second (go-retry's constant
// interval), is refused while the node is down, then reads the new boot's events until MachineStatus is running and
// ready, and checks that the boot id changed. At the conformance suite's usual time scale (0.02) a whole simulated
// reboot is over before that second, so this file runs its own fleet at real-machine pace. Addresses 127.0.42.x.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runOracle } from "./support/oracles.js";
import { bootId, ok, running, show, waitFor } from "./support/talosctl-asserts.js";
import { startTalosctlSim, type TalosctlSim } from "./support/talosctl-sim.js";

const CP1 = "127.0.42.1";
const W1 = "127.0.42.2";
const W2 = "127.0.42.3";
const INSTALLER = "ghcr.io/siderolabs/installer:v1.13.9";

let sim: TalosctlSim;
let kubeconfig: string;

const ctl = (args: string[]) => sim.talosctl(args, { timeoutMs: 90_000 });
const kubectl = (args: string[]) => runOracle("kubectl", ["--kubeconfig", kubeconfig, ...args]);

before(async () => {
  sim = await startTalosctlSim(
    "life",
    [
      { hostname: "cp1", address: CP1, controlPlane: true, talosVersion: "v1.13.9" },
      { hostname: "w1", address: W1, controlPlane: false, talosVersion: "v1.13.9" },
      { hostname: "w2", address: W2, controlPlane: false, talosVersion: "v1.13.9" },
    ],
    1,
  );
  for (const [node, file] of [
    [CP1, sim.configs.controlplane],
    [W1, sim.configs.worker],
    [W2, sim.configs.worker],
  ] as const)
    ok(await ctl(["apply-config", "--insecure", "-n", node, "--file", file]));
  for (const node of [CP1, W1, W2]) await waitFor(`${node} running`, running(sim, node));
  ok(await ctl(["bootstrap", "-n", CP1]));
  kubeconfig = join(sim.dir, "kubeconfig");
  await waitFor("the Kubernetes API", async () => (await ctl(["kubeconfig", kubeconfig, "-n", CP1])).code === 0);
  await waitFor("w1 and w2 Ready", async () => {
    const r = await kubectl(["get", "nodes", "--no-headers"]);
    return r.code === 0 && /^w1\s+Ready\s/m.test(r.stdout) && /^w2\s+Ready\s/m.test(r.stdout);
  });
});

after(async () => {
  if (sim && sim.process.exitCode !== null && sim.process.exitCode !== 0)
    console.error(`talform sim up exited ${sim.process.exitCode}:\n${sim.log()}`);
  await sim?.stop();
});

/**
 * What talosctl's tracker prints (stderr is no terminal here: one `"NODE": message` line per update) for a reboot it
 * followed through: the sequence starts under the actor id the call returned, the node drops, the new boot's events
 * reach running + ready, and the boot id differs from the one read before.
 */
function trackedReboot(stderr: string, node: string): void {
  const n = `"${node.replace(/\./g, "\\.")}"`;
  for (const line of [
    `${n}: waiting for actor ID`,
    `${n}: actor ID: [0-9a-f-]{36}`,
    `${n}: sequence: reboot action: START`,
    `${n}: unavailable, retrying\\.\\.\\.`,
    `${n}: sequence: boot action: START`,
    `${n}: stage: BOOTING ready: false`,
    `${n}: service: kubelet message: Health check successful healthy: true`,
    `${n}: events check condition met`,
    `${n}: post check passed`,
  ])
    assert.match(stderr, new RegExp(`^${line}`, "m"), stderr);
}

test("reboot (default --wait, and --mode powercycle): talosctl follows the node down and back, new boot id", async () => {
  for (const extra of [[], ["--mode", "powercycle"]]) {
    const before = await bootId(sim, W1);
    const r = await ctl(["reboot", "-n", W1, "--timeout", "60s", ...extra]);
    assert.equal(r.code, 0, show(r));
    trackedReboot(r.stderr, W1);
    const now = await bootId(sim, W1);
    assert.match(now, /^[0-9a-f-]{36}$/);
    assert.notEqual(now, before, "the boot id changes with the reboot");
  }
});

test("upgrade (default: drain + wait): pull, install, cordon, evict, reboot, uncordon", async () => {
  const pods = async (node: string) =>
    (await kubectl(["get", "pods", "-A", "--no-headers", "--field-selector", `spec.nodeName=${node}`])).stdout;
  const app = /^default\s+(app-\S+)/m.exec(await pods("w1"))?.[1];
  assert.ok(app, `an application pod runs on w1 before the drain:\n${await pods("w1")}`);
  const appsOnW2 = (await pods("w2")).match(/^default\s+app-/gm)?.length ?? 0;
  const before = await bootId(sim, W1);
  const r = await ctl(["upgrade", "-n", W1, "--image", INSTALLER, "--timeout", "60s", "--drain-timeout", "60s"]);
  assert.equal(r.code, 0, show(r));
  const out = r.stdout + r.stderr;
  for (const line of [
    `${W1}: pulled image ${INSTALLER}`,
    `${W1}: upgrade completed`,
    "w1: cordoning node",
    "w1: node cordoned",
    "w1: draining node",
    `w1: evicting pod default/${app}`,
    `w1: evicted pod default/${app}`,
    "w1: node drained",
    "w1: waiting for node to become Ready",
    "w1: uncordoning node",
    "w1: node uncordoned",
  ])
    assert.ok(out.includes(line), `missing "${line}":\n${show(r)}`);
  trackedReboot(r.stderr, W1);
  assert.notEqual(await bootId(sim, W1), before);
  // The evicted pod is gone from w1 (DaemonSet and mirror pods stay, as kubectl's drain leaves them) and its
  // ReplicaSet's replacement runs on w2; w1 is schedulable again.
  assert.doesNotMatch(await pods("w1"), new RegExp(app), "the evicted pod left w1");
  assert.equal((await pods("w2")).match(/^default\s+app-/gm)?.length, appsOnW2 + 1, await pods("w2"));
  const node = await kubectl(["get", "node", "w1", "-o", "jsonpath={.spec.unschedulable}"]);
  assert.equal(node.stdout, "", show(node));
});

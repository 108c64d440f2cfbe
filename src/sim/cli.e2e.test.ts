import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCliCaptured, type CliRun } from "../cli/test-support.js";
import { socketPath } from "./control.js";
import { sampleMachineConfig, waitUntil } from "./testing.js";

// Addresses 127.0.24.x are reserved for this file. Everything goes through the CLI as a user would type it.
const CP = "127.0.24.1";
const W = "127.0.24.2";
const SCHEMATIC = "e".repeat(64);
let dir: string;
let up: Promise<CliRun>;
const env = () => ({ TALFORM_LOOPBACK_ONLY: "1", HOME: dir });
const run = (...argv: string[]) => runCliCaptured(argv, { cwd: dir, env: env() });
const talosconfig = () => join(dir, ".talform", "sim", "talosconfig");

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "talform-sim-cli-"));
  await writeFile(
    join(dir, "fleet.yaml"),
    [
      "clusterName: cli",
      "nodes:",
      `  - {hostname: cp1, address: ${CP}, controlPlane: true, talosVersion: v1.12.6}`,
      `  - {hostname: w1, address: ${W}, controlPlane: false, talosVersion: v1.12.6}`,
      "schematics:",
      `  ${SCHEMATIC}: [siderolabs/iscsi-tools]`,
    ].join("\n"),
  );
  up = run("sim", "up", "--spec", "fleet.yaml", "--time-scale", "0.01");
  await waitUntil("simulator socket", () => existsSync(socketPath(join(dir, ".talform", "sim"))), 10_000);
  await writeFile(
    join(dir, "cp1.yaml"),
    sampleMachineConfig({ type: "controlplane", hostname: "cp1", endpoint: `https://${CP}:6443` }),
  );
  await writeFile(
    join(dir, "w1.yaml"),
    sampleMachineConfig({ type: "worker", hostname: "w1", endpoint: `https://${CP}:6443` }),
  );
});

after(async () => {
  if (existsSync(socketPath(join(dir, ".talform", "sim")))) await run("sim", "down");
  await up;
  await rm(dir, { recursive: true, force: true });
});

test("refuses a spec with a LAN address", async () => {
  await writeFile(
    join(dir, "lan.yaml"),
    "clusterName: x\nnodes:\n  - {hostname: a, address: 192.168.1.10, controlPlane: true, talosVersion: v1.13.9}\n",
  );
  const r = await run("sim", "up", "--spec", "lan.yaml", "--state-dir", "lan");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /192\.168\.1\.10 is not a loopback address/);
});

test("a new user's path: apply-config --insecure, version, services, logs, bootstrap, get, kubeconfig", async () => {
  for (const [node, file] of [
    [CP, "cp1.yaml"],
    [W, "w1.yaml"],
  ] as const) {
    const r = await run("apply-config", "--insecure", "-n", node, "--file", file);
    assert.equal(r.code, 0, r.stderr);
  }
  await waitUntil(
    "running",
    async () => /running\s+-?\S*\n.*running/s.test((await run("sim", "status")).stdout),
    10_000,
  );
  assert.ok((await stat(talosconfig())).mode % 0o1000 === 0o600);

  const tc = ["--talosconfig", talosconfig()];
  let r = await run("version", ...tc);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^NODE\s+TAG/);
  assert.match(r.stdout, new RegExp(`${CP.replace(/\./g, "\\.")}\\s+v1\\.12\\.6`));

  r = await run("services", ...tc, "-n", W);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /kubelet\s+Running\s+OK/);
  assert.doesNotMatch(r.stdout, /etcd/);

  r = await run("logs", "kubelet", ...tc, "-n", CP);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /kubelet/);

  r = await run("logs", "-k", "kube-system/kube-apiserver-cp1", ...tc, "-n", CP, "--tail", "1");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n").length, 1);

  r = await run("bootstrap", ...tc, "-n", CP);
  assert.equal(r.code, 0, r.stderr);
  r = await run("bootstrap", ...tc);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /exactly one node/);

  r = await run("get", "members", ...tc, "-n", CP, "-o", "yaml");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /id: cp1/);
  assert.match(r.stdout, /id: w1/);

  r = await run("dmesg", ...tc, "-n", W);
  assert.match(r.stdout, /Linux version/);

  r = await run("kubeconfig", ...tc, "-n", CP, "kc");
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await stat(join(dir, "kc"))).mode % 0o1000 === 0o600);

  // Without -n and with both nodes targeted, the kubeconfig comes from the first endpoint (talosctl's behaviour),
  // into the git-ignored state folder by default.
  r = await run("kubeconfig", ...tc, "-e", CP, "-n", `${CP},${W}`);
  assert.equal(r.code, 64, "two explicit nodes stay a usage error");
  const both = parseYaml(await readFile(talosconfig(), "utf8")) as {
    context: string;
    contexts: Record<string, { endpoints: string[]; nodes?: string[] }>;
  };
  both.contexts[both.context]!.endpoints = [CP];
  both.contexts[both.context]!.nodes = [CP, W];
  await writeFile(join(dir, "both-talosconfig"), stringifyYaml(both));
  r = await run("kubeconfig", "--talosconfig", join(dir, "both-talosconfig"));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`using the endpoint ${CP.replaceAll(".", "\\.")}`));
  assert.ok((await stat(join(dir, ".talform", "kubeconfig"))).mode % 0o1000 === 0o600);
  assert.equal(
    await readFile(join(dir, ".talform", ".gitignore"), "utf8"),
    "# written by talform: everything here holds or derives from secrets\n*\n",
  );
});

test("per-node errors: a faulty node fails alone, the other node's answer and exit 1", async () => {
  let r = await run("sim", "fault", "w1", "apply-reject");
  assert.equal(r.code, 0, r.stderr);
  r = await run(
    "apply-config",
    "--talosconfig",
    talosconfig(),
    "-n",
    `${CP},${W}`,
    "--file",
    "w1.yaml",
    "--dry-run",
    "--json",
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error: 127\.0\.24\.2: .*apply-reject/);
  assert.equal(JSON.parse(r.stdout).length, 1);
  r = await run("sim", "fault", "w1", "clear");
  assert.equal(r.code, 0);
  r = await run("sim", "fault", "nope", "clear");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown node "nope"/);
});

test("upgrade --wait and reboot --wait", async () => {
  let r = await run(
    "upgrade",
    "--talosconfig",
    talosconfig(),
    "-n",
    W,
    "--image",
    `factory.talos.dev/metal-installer/${SCHEMATIC}:v1.13.9`,
    "--wait",
    "--timeout",
    "10",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /127\.0\.24\.2\s+v1\.13\.9\s+machine/);
  r = await run("get", "extensions", "--talosconfig", talosconfig(), "-n", W, "--json");
  assert.equal(JSON.parse(r.stdout)[0].spec.metadata.name, "siderolabs/iscsi-tools");
  r = await run("reboot", "--talosconfig", talosconfig(), "-n", W, "--wait", "--timeout", "10");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /127\.0\.24\.2\s+[0-9a-f-]{36}\s+v1\.13\.9/);
});

test("the loopback guard applies to the CLI too", async () => {
  const r = await run("version", "--talosconfig", talosconfig(), "-e", "10.0.0.1", "-n", "10.0.0.1");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refusing to connect to 10\.0\.0\.1/);
});

test("sim down leaves nothing listening", async () => {
  const r = await run("sim", "down");
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await up).code, 0);
  const v = await run("version", "--talosconfig", talosconfig(), "-n", CP);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /ECONNREFUSED|unavailable|connect/i);
});

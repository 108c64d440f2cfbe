import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCliCaptured, type CliRun } from "./test-support.js";
import { socketPath } from "../sim/control.js";
import { sampleMachineConfig, waitUntil } from "../sim/testing.js";

// The seed's rules for imperative commands on a 3-node simulated cluster (cp1, cp2, w1 on 127.0.26.x), through the
// CLI as a user types it: nodes from the talosconfig or two control planes at once are refused and nothing is
// touched; --yes-all-at-once takes the control planes one at a time with the etcd check between.
const NODES = [
  { host: "cp1", address: "127.0.26.1", type: "controlplane" as const },
  { host: "cp2", address: "127.0.26.2", type: "controlplane" as const },
  { host: "w1", address: "127.0.26.11", type: "worker" as const },
];
const IMAGE = "ghcr.io/siderolabs/installer:v1.13.9";
let dir: string;
let up: Promise<CliRun>;
const run = (...argv: string[]) => runCliCaptured(argv, { cwd: dir, env: { TALFORM_LOOPBACK_ONLY: "1", HOME: dir } });
const tc = () => join(dir, ".talform", "sim", "talosconfig");
const status = async () =>
  JSON.parse((await run("sim", "status", "--json")).stdout) as { hostname: string; version: string; bootId: string }[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "talform-guard-"));
  const spec = [
    "clusterName: guard",
    "nodes:",
    ...NODES.map(
      (n) =>
        `  - {hostname: ${n.host}, address: ${n.address}, controlPlane: ${n.type === "controlplane"}, talosVersion: v1.13.8}`,
    ),
  ];
  await writeFile(join(dir, "fleet.yaml"), spec.join("\n") + "\n");
  up = run("sim", "up", "--spec", "fleet.yaml", "--time-scale", "0.01");
  await waitUntil("simulator socket", () => existsSync(socketPath(join(dir, ".talform", "sim"))), 10_000);
  for (const n of NODES) {
    await writeFile(
      join(dir, `${n.host}.yaml`),
      sampleMachineConfig({ type: n.type, hostname: n.host, endpoint: "https://127.0.26.1:6443" }),
    );
    const r = await run("apply-config", "--insecure", "-n", n.address, "--file", `${n.host}.yaml`);
    assert.equal(r.code, 0, r.stderr);
  }
  await waitUntil("running", async () => (await status()).every((n) => n.version === "v1.13.8" && n.bootId), 10_000);
  await waitUntil("running", async () => (await run("version", "--talosconfig", tc())).code === 0, 10_000);
  assert.equal((await run("bootstrap", "--talosconfig", tc(), "-n", "127.0.26.1")).code, 0);
  await waitUntil(
    "etcd",
    async () => (await run("health", "--talosconfig", tc(), "--wait-timeout", "1s")).code === 0,
    15_000,
  );
});

after(async () => {
  if (existsSync(socketPath(join(dir, ".talform", "sim")))) await run("sim", "down");
  await up;
  await rm(dir, { recursive: true, force: true });
});

test("upgrade/reboot without -n (the talosconfig's 3 nodes) or at two control planes refuse and touch nothing", async () => {
  const before = await status();
  const cases: { argv: string[]; why: RegExp }[] = [
    {
      argv: ["upgrade", "--image", IMAGE],
      why: /the 3 nodes come from the talosconfig, not from -n; 2 control planes/,
    },
    { argv: ["reboot"], why: /the 3 nodes come from the talosconfig/ },
    {
      argv: ["upgrade", "-n", "127.0.26.1,127.0.26.2", "--image", IMAGE],
      why: /2 control planes \(127\.0\.26\.1, 127\.0\.26\.2\) would go down together/,
    },
    {
      argv: ["apply-config", "--mode", "reboot", "--file", "cp1.yaml", "-n", "127.0.26.1,127.0.26.2"],
      why: /2 control planes/,
    },
  ];
  for (const c of cases) {
    const r = await run(...c.argv, "--talosconfig", tc());
    assert.equal(r.code, 64, `${c.argv.join(" ")}: ${r.stderr}`); // usage
    assert.match(r.stderr, /will touch \d node\(s\): 127\.0\.26\.1 \(controlplane\)/);
    assert.match(r.stderr, c.why);
    assert.match(r.stderr, /nothing was touched/);
  }
  assert.deepEqual(await status(), before);
});

test("--yes-all-at-once: the control planes reboot one at a time with the etcd check between", async () => {
  const before = await status();
  const r = await run(
    "reboot",
    "--talosconfig",
    tc(),
    "-n",
    "127.0.26.1,127.0.26.2",
    "--yes-all-at-once",
    "--timeout",
    "20",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /etcd healthy after 127\.0\.26\.1; next control plane/);
  const now = await status();
  for (const host of ["cp1", "cp2"])
    assert.notEqual(
      now.find((n) => n.hostname === host)!.bootId,
      before.find((n) => n.hostname === host)!.bootId,
      host,
    );
  assert.equal(now.find((n) => n.hostname === "w1")!.bootId, before.find((n) => n.hostname === "w1")!.bootId);
});

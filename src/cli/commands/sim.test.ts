import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { parse as parseYaml } from "yaml";
import { socketPath } from "../../sim/control.js";
import { waitUntil } from "../../sim/testing.js";
import { runCliFast, type CliRun } from "../test-support.js";

// Addresses 127.0.77.x are reserved for this file. Issue 7's acceptance, typed as a new user would: a 3-node
// talconfig with 127.x addresses, `gensecret` and `genconfig`, `sim up -c`, then the node commands.
const CP = "127.0.77.1";
const W1 = "127.0.77.2";
const W2 = "127.0.77.3";

const TALCONFIG = `clusterName: simlab
talosVersion: v1.12.6
kubernetesVersion: v1.34.1
endpoint: https://${CP}:6443
nodes:
  - hostname: cp1
    ipAddress: ${CP}
    controlPlane: true
    installDisk: /dev/sda
  - hostname: w1
    ipAddress: ${W1}
    installDisk: /dev/sda
  - hostname: w2
    ipAddress: ${W2}
    installDisk: /dev/sda
worker:
  schematic:
    customization:
      systemExtensions:
        officialExtensions: [siderolabs/iscsi-tools]
`;

let dir: string;
let env: Record<string, string>;
let up: Promise<CliRun> | undefined;
const run = (...argv: string[]) => runCliFast(argv, { cwd: dir, env });
// genconfig's talosconfig (admin cert from the cluster's OS CA) talks to the simulated nodes.
const tc = () => ["--talosconfig", join(dir, "clusterconfig", "talosconfig")];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "talform-sim-up-"));
  const identity = await generateIdentity();
  await writeFile(join(dir, "key.txt"), `${identity}\n`, { mode: 0o600 });
  await writeFile(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${await identityToRecipient(identity)}\n`);
  env = { TALFORM_LOOPBACK_ONLY: "1", HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "key.txt") };
  await writeFile(join(dir, "talconfig.yaml"), TALCONFIG);
  const secrets = await run("gensecret", "--out", "talsecret.sops.yaml");
  assert.equal(secrets.code, 0, secrets.stderr);
});

after(async () => {
  if (existsSync(socketPath(join(dir, ".talform", "sim")))) await run("sim", "down");
  await up;
  await rm(dir, { recursive: true, force: true });
});

test("sim up -c refuses a talconfig with a LAN address, naming the node and where it is written", async () => {
  await writeFile(join(dir, "lan.yaml"), TALCONFIG.replace(`ipAddress: ${W2}`, "ipAddress: 192.168.1.23"));
  const r = await run("sim", "up", "-c", "lan.yaml", "--state-dir", "lan");
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /lan\.yaml:14:\d+: error\[sim-not-loopback\]: w2: ipAddress 192\.168\.1\.23 is not a loopback address/,
  );
  assert.equal(existsSync(join(dir, "lan", "talosconfig")), false);
});

test("sim up -c without a secrets bundle says how to make one", async () => {
  const other = await mkdtemp(join(dir, "nosecrets-"));
  await writeFile(join(other, "talconfig.yaml"), TALCONFIG);
  const r = await runCliFast(["sim", "up", "-c", "talconfig.yaml"], { cwd: other, env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no secrets bundle/);
  assert.match(r.stderr, /talform gensecret --out talsecret\.sops\.yaml/);
});

test("sim up -c talconfig.yaml, then apply-config --insecure, version, services, logs kubelet, upgrade to genurl's installer", async () => {
  up = run("sim", "up", "-c", "talconfig.yaml", "--time-scale", "0.01");
  await waitUntil("simulator socket", () => existsSync(socketPath(join(dir, ".talform", "sim"))), 15_000);

  // The nodes' certificates chain to the cluster's OS CA from the encrypted bundle.
  const bundle = await run("sops", "decrypt", "talsecret.sops.yaml");
  assert.equal(bundle.code, 0, bundle.stderr);
  const osCrt = (parseYaml(bundle.stdout) as { certs: { os: { crt: string } } }).certs.os.crt;
  const talosconfig = parseYaml(await readFile(join(dir, ".talform", "sim", "talosconfig"), "utf8")) as {
    contexts: Record<string, { ca: string }>;
  };
  assert.equal(Object.values(talosconfig.contexts)[0]!.ca, osCrt);

  // The machine configs and the talosconfig come from `talform genconfig`, as a user makes them.
  const gen = await run("genconfig");
  assert.equal(gen.code, 0, gen.stderr);
  for (const [address, hostname] of [
    [CP, "cp1"],
    [W1, "w1"],
    [W2, "w2"],
  ] as const) {
    const r = await run("apply-config", "--insecure", "-n", address, "--file", `clusterconfig/simlab-${hostname}.yaml`);
    assert.equal(r.code, 0, r.stderr);
  }
  await waitUntil(
    "all three running",
    async () => ((await run("sim", "status")).stdout.match(/\brunning\b/g) ?? []).length === 3,
    15_000,
  );

  const status = await run("sim", "status");
  assert.match(status.stdout, /w1\s+127\.0\.77\.2\s+worker\s+v1\.12\.6\s+running\s+siderolabs\/iscsi-tools/);
  assert.match(status.stdout, /cp1\s+127\.0\.77\.1\s+controlplane\s+v1\.12\.6\s+running\s+-/);

  let r = await run("version", ...tc());
  assert.equal(r.code, 0, r.stderr);
  for (const address of [CP, W1, W2])
    assert.match(r.stdout, new RegExp(`${address.replace(/\./g, "\\.")}\\s+v1\\.12\\.6`));

  r = await run("services", ...tc(), "-n", W2);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /kubelet\s+Running\s+OK/);

  r = await run("logs", "kubelet", ...tc(), "-n", CP);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /kubelet/);

  // The seed's upgrade path: INSTALLER_URL=$(talform genurl installer -n w1) for a newer talosVersion, then upgrade.
  await writeFile(join(dir, "next.yaml"), TALCONFIG.replace("talosVersion: v1.12.6", "talosVersion: v1.13.9"));
  const url = await run("genurl", "installer", "-c", "next.yaml", "-n", "w1");
  assert.equal(url.code, 0, url.stderr);
  assert.match(url.stdout, /^factory\.talos\.dev\/metal-installer\/[0-9a-f]{64}:v1\.13\.9\n$/);
  r = await run("upgrade", ...tc(), "-n", W1, "--image", url.stdout.trim(), "--wait", "--timeout", "30");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    (await run("sim", "status")).stdout,
    /w1\s+127\.0\.77\.2\s+worker\s+v1\.13\.9\s+running\s+siderolabs\/iscsi-tools/,
  );

  r = await run("sim", "down");
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await up).code, 0);
});

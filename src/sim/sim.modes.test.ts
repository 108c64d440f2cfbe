import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ApplyMode, TalosClient, type NodeResult } from "../talosapi/client.js";
import type { ApplyConfiguration } from "../gen/machine/machine_pb.js";
import type { CertificateAndKey } from "../pki/index.js";
import { startFleet, type Fleet } from "./cluster.js";
import { installNodes, makeClientCert, makeOsCA, sampleMachineConfig, waitUntil } from "./testing.js";

// Addresses 127.0.22.x are reserved for this file.
const N13 = "127.0.22.1"; // control plane, Talos 1.13: AUTO may reboot; Lifecycle upgrade API
const N14 = "127.0.22.2"; // worker, Talos 1.14: AUTO never reboots; REBOOT mode removed
const N12 = "127.0.22.3"; // worker, Talos 1.12: legacy MachineService.Upgrade
const env = { TALFORM_LOOPBACK_ONLY: "1" };
const SCHEMATIC = "b".repeat(64);

let fleet: Fleet;
let ca: CertificateAndKey;
let admin: TalosClient;
const cfg = (node: string, extra = "", image?: string) =>
  sampleMachineConfig({
    type: node === N13 ? "controlplane" : "worker",
    hostname: `n${node.split(".")[3]}`,
    endpoint: `https://${N13}:6443`,
    extra,
    ...(image ? { image } : {}),
  });

before(async () => {
  ca = await makeOsCA();
  fleet = await startFleet(
    {
      clusterName: "modes",
      osCA: ca,
      nodes: [
        { hostname: "n1", address: N13, controlPlane: true, talosVersion: "v1.13.9" },
        { hostname: "n2", address: N14, controlPlane: false, talosVersion: "v1.14.0" },
        { hostname: "n3", address: N12, controlPlane: false, talosVersion: "v1.12.6" },
      ],
      schematics: { [SCHEMATIC]: ["siderolabs/iscsi-tools", "siderolabs/util-linux-tools"] },
    },
    { timeScale: 0.01, seed: 3 },
  );
  await installNodes(fleet, { [N13]: cfg(N13), [N14]: cfg(N14), [N12]: cfg(N12) }, env);
  const cert = await makeClientCert(ca, ["os:admin"]);
  admin = new TalosClient({
    endpoints: [N13],
    nodes: [N13, N14, N12],
    credentials: { kind: "mtls", ca: ca.crt, crt: cert.crt, key: cert.key },
    env,
    retryBaseMs: 10,
  });
  await admin.bootstrap(N13);
});

after(async () => {
  admin?.close();
  await fleet?.stop();
});

const one = async (p: Promise<NodeResult<ApplyConfiguration>[]>) => {
  const [r] = await p;
  return r!;
};
// A change outside the live sections (`.persist`) needs a reboot; a network change applies live.
const rebootChange = (node: string) => cfg(node, "persist: true");
const liveChange = (node: string) => cfg(node).replace("  network:\n", "  network:\n    nameservers: [127.0.0.53]\n");

test("AUTO: live changes never reboot; reboot-needing changes reboot on 1.13 but not on 1.14", async () => {
  let r = await one(admin.applyConfiguration(Buffer.from(liveChange(N13)), { mode: ApplyMode.AUTO }, [N13]));
  assert.equal(r.value?.mode, ApplyMode.NO_REBOOT);
  assert.equal(r.value?.modeDetails, "Applied configuration without a reboot");

  const boot13 = await admin.bootId(N13);
  r = await one(admin.applyConfiguration(Buffer.from(rebootChange(N13)), { mode: ApplyMode.AUTO }, [N13]));
  assert.equal(r.value?.mode, ApplyMode.REBOOT);
  assert.match(r.value!.modeDetails, /^Applied configuration with a reboot: changed \.persist/);
  await admin.waitForReboot(N13, boot13, { pollMs: 10, timeoutMs: 5000 });

  const boot14 = await admin.bootId(N14);
  r = await one(admin.applyConfiguration(Buffer.from(rebootChange(N14)), { mode: ApplyMode.AUTO }, [N14]));
  assert.equal(r.value?.mode, ApplyMode.NO_REBOOT);
  assert.equal(await admin.bootId(N14), boot14);
});

test("NO_REBOOT refuses changes that need a reboot; REBOOT mode is gone on 1.14", async () => {
  let r = await one(
    admin.applyConfiguration(Buffer.from(cfg(N12, "persist: true")), { mode: ApplyMode.NO_REBOOT }, [N12]),
  );
  assert.equal(r.error?.code, Code.InvalidArgument);
  assert.match(r.error!.message, /requires a reboot/);
  r = await one(admin.applyConfiguration(Buffer.from(cfg(N14)), { mode: ApplyMode.REBOOT }, [N14]));
  assert.equal(r.error?.code, Code.Unimplemented);
  assert.match(r.error!.message, /REBOOT mode is not supported/);
});

test("REBOOT applies and reboots; STAGED applies at the next reboot; dry run changes nothing", async () => {
  const before = await admin.bootId(N12);
  let r = await one(admin.applyConfiguration(Buffer.from(liveChange(N12)), { mode: ApplyMode.REBOOT }, [N12]));
  assert.equal(r.value?.mode, ApplyMode.REBOOT);
  const { bootId } = await admin.waitForReboot(N12, before, { pollMs: 10, timeoutMs: 5000 });
  assert.match(fleet.node(N12).config!.text, /nameservers/);

  const staged = cfg(N12, "", "ghcr.io/siderolabs/installer:v1.12.4");
  r = await one(admin.applyConfiguration(Buffer.from(staged), { mode: ApplyMode.STAGED }, [N12]));
  assert.equal(r.value?.modeDetails, "Staged configuration to be applied after the next reboot");
  assert.doesNotMatch(fleet.node(N12).config!.text, /v1\.12\.4/);
  await admin.reboot(undefined, [N12]);
  await admin.waitForReboot(N12, bootId, { pollMs: 10, timeoutMs: 5000 });
  assert.match(fleet.node(N12).config!.text, /v1\.12\.4/);

  r = await one(
    admin.applyConfiguration(Buffer.from(cfg(N12, "persist: true")), { mode: ApplyMode.AUTO, dryRun: true }, [N12]),
  );
  assert.match(
    r.value!.modeDetails,
    /^Dry run summary:\nApplied configuration with a reboot.*\(skipped in dry-run\)\.\nConfig diff:/s,
  );
  assert.match(fleet.node(N12).config!.text, /v1\.12\.4/);
});

test("TRY applies live and rolls back after the timeout", async () => {
  const original = fleet.node(N14).config!.text;
  const r = await one(
    admin.applyConfiguration(Buffer.from(liveChange(N14)), { mode: ApplyMode.TRY, tryTimeoutMs: 60_000 }, [N14]),
  );
  assert.equal(r.value?.mode, ApplyMode.TRY);
  assert.match(r.value!.modeDetails, /will be automatically reverted back in 1m0s$/);
  assert.match(fleet.node(N14).config!.text, /nameservers/);
  await waitUntil("try rollback", () => fleet.node(N14).config!.text === original);
});

test("configs are decoded strictly", async () => {
  for (const [text, re] of [
    [cfg(N14) + "\nbogus: 1\n", /unknown field "bogus"/],
    [cfg(N14) + "\n---\napiVersion: v1alpha1\nkind: NoSuchConfig\n", /unknown document kind "NoSuchConfig"/],
    ["version: v1alpha1\nmachine:\n  type: potato\n", /machine.type "potato" is invalid/],
  ] as const) {
    const r = await one(admin.applyConfiguration(Buffer.from(text), { mode: ApplyMode.AUTO }, [N14]));
    assert.equal(r.error?.code, Code.InvalidArgument);
    assert.match(r.error!.message, re);
  }
});

test("RBAC: a reader can read but not apply or reboot; an operator can reboot but not apply", async () => {
  const mk = async (roles: string[]) => {
    const c = await makeClientCert(ca, roles);
    return new TalosClient({
      endpoints: [N13],
      nodes: [N14],
      credentials: { kind: "mtls", ca: ca.crt, crt: c.crt, key: c.key },
      env,
    });
  };
  const reader = await mk(["os:reader"]);
  const operator = await mk(["os:operator"]);
  try {
    assert.equal((await reader.version())[0]!.value?.version?.tag, "v1.14.0");
    assert.equal(
      (await one(reader.applyConfiguration(Buffer.from(cfg(N14)), { mode: ApplyMode.AUTO })))?.error?.code,
      Code.PermissionDenied,
    );
    assert.equal((await reader.reboot())[0]!.error?.code, Code.PermissionDenied);
    assert.equal(
      (await one(operator.applyConfiguration(Buffer.from(cfg(N14)), { mode: ApplyMode.AUTO })))?.error?.code,
      Code.PermissionDenied,
    );
    await assert.rejects(operator.read(N14, "/proc/modules"), /not authorized/);
  } finally {
    reader.close();
    operator.close();
  }
});

test("a client whose certificate comes from another CA is refused at the TLS handshake", async () => {
  const otherCA = await makeOsCA();
  const c = await makeClientCert(otherCA, ["os:admin"]);
  const wrongClient = new TalosClient({
    endpoints: [N13],
    nodes: [N13],
    credentials: { kind: "mtls", ca: ca.crt, crt: c.crt, key: c.key },
    env,
    retryAttempts: 1,
  });
  const wrongServer = new TalosClient({
    endpoints: [N13],
    nodes: [N13],
    credentials: { kind: "mtls", ca: otherCA.crt, crt: c.crt, key: c.key },
    env,
    retryAttempts: 1,
  });
  try {
    const [r1] = await wrongClient.version();
    assert.ok(r1!.error, "a client certificate from another CA must be refused");
    const [r2] = await wrongServer.version();
    assert.ok(r2!.error, "a server not signed by the talosconfig CA must be refused");
    assert.match(r2!.error!.message, /certificate/i);
  } finally {
    wrongClient.close();
    wrongServer.close();
  }
});

test("upgrade: legacy API on 1.12, Image+Lifecycle API on 1.13; new version and the schematic's extensions", async () => {
  const image12 = `factory.talos.dev/metal-installer/${SCHEMATIC}:v1.13.0`;
  const [legacy] = await admin.upgradeAndWait(image12, { pollMs: 10, timeoutMs: 5000 }, [N12]);
  assert.equal(legacy!.error, undefined, String(legacy!.error));
  assert.equal(legacy!.value!.api, "machine");
  assert.equal(legacy!.value!.version, "v1.13.0");
  const ext = await admin.listResources(N12, "runtime", "ExtensionStatuses.runtime.talos.dev");
  assert.deepEqual(
    ext.map((e) => (e.spec as { metadata: { name: string } }).metadata.name),
    ["siderolabs/iscsi-tools", "siderolabs/util-linux-tools"],
  );

  const [modern] = await admin.upgradeAndWait(
    `factory.talos.dev/metal-installer/${SCHEMATIC}:v1.14.0`,
    { pollMs: 10, timeoutMs: 5000 },
    [N13],
  );
  assert.equal(modern!.error, undefined, String(modern!.error));
  assert.equal(modern!.value!.api, "lifecycle");
  assert.equal(modern!.value!.version, "v1.14.0");

  const [unknown] = await admin.upgrade(`factory.talos.dev/metal-installer/${"c".repeat(64)}:v1.14.0`, {}, [N14]);
  assert.equal(unknown!.error?.code, Code.NotFound);
});

test("events: the reboot sequence is visible with the reboot's actor id", async () => {
  const ac = new AbortController();
  const seen: string[] = [];
  const done = (async () => {
    for await (const e of admin.events(N14, { signal: ac.signal })) {
      seen.push(
        `${e.type}:${String((e.payload as { sequence?: string; task?: string })?.sequence ?? (e.payload as { task?: string })?.task ?? "")}`,
      );
      if (e.type === "machine.TaskEvent") ac.abort();
    }
  })().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 50));
  const before = await admin.bootId(N14);
  const [r] = await admin.reboot(undefined, [N14]);
  assert.match(r!.value!, /^[0-9a-f-]{36}$/);
  await done;
  assert.deepEqual(seen.slice(0, 3), [
    "machine.SequenceEvent:reboot",
    "machine.PhaseEvent:",
    "machine.TaskEvent:stopAllServices",
  ]);
  await admin.waitForReboot(N14, before, { pollMs: 10, timeoutMs: 5000 });
});

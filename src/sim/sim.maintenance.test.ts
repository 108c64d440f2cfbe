import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ApplyMode, TalosClient } from "../talosapi/client.js";
import { startFleet, type Fleet } from "./cluster.js";
import { makeOsCA, sampleMachineConfig } from "./testing.js";

// Addresses 127.0.25.x are reserved for this file.
const OLD = "127.0.25.1"; // Talos 1.11: separate maintenance server, Version not served
const NEW = "127.0.25.2"; // Talos 1.13: apid in maintenance mode, read-only API as reader
const env = { TALFORM_LOOPBACK_ONLY: "1" };
let fleet: Fleet;

before(async () => {
  fleet = await startFleet(
    {
      clusterName: "maint",
      osCA: await makeOsCA(),
      nodes: [
        { hostname: "old", address: OLD, controlPlane: true, talosVersion: "v1.11.6" },
        { hostname: "new", address: NEW, controlPlane: false, talosVersion: "v1.13.9" },
      ],
    },
    { timeScale: 0.01, seed: 5 },
  );
});

after(async () => {
  await fleet?.stop();
});

const insecure = (nodes: string[], fingerprint?: string) =>
  new TalosClient({
    endpoints: [],
    nodes,
    credentials: { kind: "maintenance", ...(fingerprint ? { fingerprint } : {}) },
    env,
    retryAttempts: 1,
  });

test("maintenance mode serves the RPC subset of the node's Talos version", async () => {
  const c = insecure([OLD, NEW]);
  try {
    const [old, cur] = await c.version();
    assert.equal(old!.error?.code, Code.Unimplemented);
    assert.match(old!.error!.message, /not implemented in maintenance mode/);
    assert.equal(cur!.value?.version?.tag, "v1.13.9");
    const ms = await c.getResource(OLD, "runtime", "MachineStatuses.runtime.talos.dev", "machine");
    assert.deepEqual(ms.spec, {
      stage: "maintenance",
      status: { ready: false, unmetConditions: [{ name: "services", reason: "stage maintenance" }] },
    });
    // 1.13's maintenance mode is machined's own ApplyConfiguration: every mode is accepted (REBOOT and AUTO become
    // NO_REBOOT), and a dry run answers Talos's summary with the diff against no config (issue 17).
    const config = Buffer.from(
      sampleMachineConfig({ type: "worker", hostname: "new", endpoint: "https://127.0.25.1:6443" }),
    );
    for (const [mode, chosen, details] of [
      [ApplyMode.STAGED, ApplyMode.STAGED, "Staged configuration to be applied after the next reboot"],
      [ApplyMode.NO_REBOOT, ApplyMode.NO_REBOOT, "Applied configuration without a reboot"],
      [ApplyMode.AUTO, ApplyMode.NO_REBOOT, "Applied configuration without a reboot"],
      [ApplyMode.REBOOT, ApplyMode.NO_REBOOT, "Applied configuration without a reboot"],
    ] as const) {
      const [dry] = await c.applyConfiguration(config, { mode, dryRun: true }, [NEW]);
      assert.equal(dry!.error, undefined, String(dry!.error));
      assert.equal(dry!.value?.mode, chosen);
      assert.match(
        dry!.value!.modeDetails,
        new RegExp(
          `^Dry run summary:\n${details} \\(skipped in dry-run\\)\\.\nConfig diff:\n\n--- a\n\\+\\+\\+ b\n@@ -1,0 \\+1,\\d+ @@\n\\+version: v1alpha1\n`,
        ),
      );
    }
  } finally {
    c.close();
  }
});

test("--cert-fingerprint pins the maintenance server's key", async () => {
  const good = insecure([NEW], fleet.maintenanceFingerprint(NEW));
  const bad = insecure([NEW], fleet.maintenanceFingerprint(OLD));
  try {
    assert.equal((await good.version())[0]!.value?.version?.tag, "v1.13.9");
    const [r] = await bad.version();
    assert.match(r!.error!.message, /fingerprint mismatch/);
  } finally {
    good.close();
    bad.close();
  }
});

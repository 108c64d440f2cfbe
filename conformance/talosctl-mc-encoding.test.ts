// Talos < 1.12 puts a MachineConfig resource's config document(s) into its YAML spec verbatim, without the
// `talos.dev/yaml-spec` annotation that >= 1.12 sets when it marshals the spec as one string (Talos 92eeaa482).
// talosctl keeps reading the old encoding (cmd/talosctl/cmd/talos/output/yaml.go: the config is the raw YAML spec when
// a MachineConfig has no annotations), so the real talosctl against a simulated v1.11 node shows whether the simulator
// sends what an old Talos sends: `get mc -o yaml|json` must give back exactly the applied config, `patch` and `edit`
// must read it. The v1.13 side is talosctl.test.ts. Addresses 127.0.43.x belong to this file.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { ok, running, show, waitFor } from "./support/talosctl-asserts.js";
import { startTalosctlSim, type TalosctlSim } from "./support/talosctl-sim.js";

const CP1 = "127.0.43.1";

let sim: TalosctlSim;
let applied: string;

before(async () => {
  sim = await startTalosctlSim(
    "legacy",
    [{ hostname: "cp1", address: CP1, controlPlane: true, talosVersion: "v1.11.6" }],
    0.02,
    "v1.11",
  );
  applied = await readFile(sim.configs.controlplane, "utf8");
  // Before 1.13 the maintenance service answers apply-config without a mode message: talosctl prints nothing.
  ok(await sim.talosctl(["apply-config", "--insecure", "-n", CP1, "--file", sim.configs.controlplane]));
  await waitFor(`${CP1} running`, running(sim, CP1));
});

after(async () => {
  await sim?.stop();
});

test("v1.11: get mc -o yaml / -o json give back the applied config text", async () => {
  const yaml = await sim.talosctl(["get", "mc", "v1alpha1", "-n", CP1, "-o", "yaml"]);
  ok(yaml);
  const doc = parse(yaml.stdout) as { metadata: { annotations?: unknown }; spec: unknown };
  assert.equal(doc.spec, applied, show(yaml));
  assert.equal(doc.metadata.annotations, undefined, show(yaml));
  const json = await sim.talosctl(["get", "mc", "v1alpha1", "-n", CP1, "-o", "json"]);
  ok(json);
  assert.equal((JSON.parse(json.stdout) as { spec: unknown }).spec, applied, show(json));
});

test("v1.11: patch mc --dry-run and edit mc read the running config", async () => {
  const patch = join(sim.dir, "patch.yaml");
  await writeFile(patch, "machine:\n  time:\n    servers:\n      - 127.0.0.125\n");
  ok(
    await sim.talosctl(["patch", "mc", "-n", CP1, "--patch", `@${patch}`, "--dry-run"]),
    undefined,
    /Config diff:[\s\S]*\+\s+- 127\.0\.0\.125/,
  );
  ok(
    await sim.talosctl(["edit", "mc", "-n", CP1], { env: { EDITOR: "true" } }),
    undefined,
    /Apply was skipped: no changes detected/,
  );
});

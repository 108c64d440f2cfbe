// `talform migrate --to v1.14` (issue 16, item 7) against Talos's own verdict: a Talos 1.13 talconfig whose inline and
// @file patches set legacy kubelet, sysctl, kube-proxy and API-server fields. Unmigrated, its 1.14 render is refused
// by Talos (machinery v1.14.1: a legacy field beside the document that replaces it); migrated with the CLI, every
// rendered config passes Talos's strict metal validation. The 1.13 render of the original passes it too, so the
// migration is what makes the difference.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runGenconfig } from "../src/genconfig/index.js";
import { encodeTestBundle, makeTestBundle } from "../src/machineconfig/test-support.js";
import { runCliCaptured } from "../src/cli/test-support.js";
import { repoRoot, runOracle, runOracleJson } from "./support/oracles.js";
import { assertTalosStrictlyValid } from "./support/strict-validation.js";

const FIXTURE = join(repoRoot, "src", "migrate", "testdata", "legacy-1.13");
const render = async (dir: string, out: string) =>
  (
    await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: out, cwd: dir, env: {} })
  ).generated.configs.map((c) => join(dir, out, c.name));

test("migrate --to v1.14: the migrated talconfig's 1.14 configs pass Talos's strict validation; unmigrated they are refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-migrate-"));
  try {
    await cp(FIXTURE, dir, { recursive: true });
    await writeFile(join(dir, "talsecret.yaml"), encodeTestBundle(await makeTestBundle()), { mode: 0o600 });
    await assertTalosStrictlyValid(await render(dir, "v113"), new Set());

    // Unmigrated on 1.14: talform refuses to render. Talos's verdict on the same thing: its own patcher applies the
    // legacy kubelet patch file to a 1.14 config (rendered without patches), and its validation refuses it.
    const original = await readFile(join(dir, "talconfig.yaml"), "utf8");
    const on114 = original.replace("talosVersion: v1.13.9", "talosVersion: v1.14.1");
    await writeFile(join(dir, "talconfig.yaml"), on114);
    await assert.rejects(render(dir, "unmigrated"), /nothing was written/);
    const bare =
      "clusterName: lab\ntalosVersion: v1.14.1\nkubernetesVersion: v1.35.0\nendpoint: https://192.168.10.10:6443\n";
    await writeFile(
      join(dir, "talconfig.yaml"),
      `${bare}nodes:\n  - {hostname: cp1, ipAddress: 192.168.10.11, controlPlane: true, installDisk: /dev/sda}\n`,
    );
    const [cpBase] = await render(dir, "base");
    const patched = await runOracle("talos-oracle", [
      "patch",
      "--base",
      cpBase!,
      "--patch",
      join(dir, "patches", "kubelet.yaml"),
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    await writeFile(join(dir, "legacy.yaml"), patched.stdout);
    const verdict = await runOracleJson<{ files: { errors: string[] }[] }>([
      "validate",
      "--mode",
      "metal",
      "--strict",
      join(dir, "legacy.yaml"),
    ]);
    assert.ok(
      verdict.report.files[0]!.errors.some((e) => e.includes("kubelet config is already set in v1alpha1 config")),
      JSON.stringify(verdict.report),
    );
    await writeFile(join(dir, "talconfig.yaml"), original);

    const migrate = await runCliCaptured(["migrate", "--to", "v1.14", "--write"], { cwd: dir, env: {} });
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(await readFile(join(dir, "talconfig.yaml"), "utf8"), /^talosVersion: v1\.14\.1/m);
    const files = await render(dir, "v114");
    assert.equal(files.length, 2);
    await assertTalosStrictlyValid(files, new Set());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

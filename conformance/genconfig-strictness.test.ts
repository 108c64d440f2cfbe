// Strict where the file is wrong, lenient where Talos and talhelper accept it (issue 16 items 3 and 5), against the
// real talhelper v3.1.16 and Talos machinery: files talhelper renders and Talos accepts render in talform too (with a
// warning where the file says two things), byte-equal to talhelper's after the oracle decodes both; a file whose
// output Talos refuses fails in talform naming the talconfig line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TalformError } from "../src/diagnostics/index.js";
import { runGenconfig } from "../src/genconfig/index.js";
import { encodeTestBundle, makeTestBundle } from "../src/machineconfig/test-support.js";
import { oracleReencode } from "./support/corpus.js";
import { runOracle, runOracleJson } from "./support/oracles.js";

const HEADER =
  "clusterName: lab\ntalosVersion: v1.13.9\nkubernetesVersion: v1.35.0\nendpoint: https://10.0.0.10:6443\n";
const NODE =
  "  - hostname: cp1\n    ipAddress: 10.0.0.11\n    controlPlane: true\n    networkInterfaces: [{interface: eth0, addresses: [10.0.0.11/24]}]\n";

async function inTemp(talconfig: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "talform-strictness-"));
  try {
    await writeFile(join(dir, "talconfig.yaml"), talconfig);
    await writeFile(join(dir, "talsecret.yaml"), encodeTestBundle(await makeTestBundle()), { mode: 0o600 });
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ACCEPTED: [string, string, RegExp | undefined][] = [
  [
    "installDisk with installDiskSelector (the selector wins)",
    `${HEADER}nodes:\n${NODE}    installDisk: /dev/sda\n    installDiskSelector: {type: ssd}\n`,
    /installDiskSelector matches and ignores installDisk/,
  ],
  [
    "a top-level key that only holds a schematic anchor",
    `${HEADER}common: &ext\n  customization:\n    systemExtensions:\n      officialExtensions: [siderolabs/iscsi-tools]\nnodes:\n${NODE}    installDisk: /dev/sda\n    schematic: *ext\n`,
    /"common" is not a talconfig key; it only holds the YAML anchor &ext/,
  ],
  [
    "a JSON6902 replace of a missing key (Talos adds it)",
    `${HEADER.replace("v1.13.9", "v1.11.6").replace("v1.35.0", "v1.34.1")}nodes:\n${NODE}    installDisk: /dev/sda\n    patches:\n      - |-\n        - op: replace\n          path: /cluster/proxy\n          value: {disabled: true}\n`,
    undefined,
  ],
];

for (const [name, talconfig, warning] of ACCEPTED) {
  test(`accepted as talhelper and Talos accept it: ${name}`, async () => {
    await inTemp(talconfig, async (dir) => {
      const theirs = await runOracle("talhelper", ["genconfig", "--offline-mode", "-o", "theirs"], { cwd: dir });
      assert.equal(theirs.code, 0, theirs.stderr + theirs.stdout);
      const ours = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "ours", cwd: dir, env: {} });
      const warnings = ours.generated.warnings.map((w) => w.message);
      if (warning)
        assert.ok(
          warnings.some((w) => warning.test(w)),
          warnings.join("\n"),
        );
      const file = ours.generated.configs[0]!.name;
      const mine = await oracleReencode(join(dir, "ours", file));
      assert.equal(mine.text, await readFile(join(dir, "ours", file), "utf8"), "byte-exact to Talos's re-encoding");
      assert.equal(
        mine.text,
        (await oracleReencode(join(dir, "theirs", file))).text,
        "equal to talhelper's after decoding",
      );
      const { report } = await runOracleJson<{ files: { errors: string[] }[] }>([
        "validate",
        "--mode",
        "metal",
        join(dir, "ours", file),
      ]);
      assert.deepEqual(report.files[0]!.errors, []);
    });
  });
}

test("an install disk selector type Talos refuses (HDD): talform fails naming the line, Talos refuses such a config", async () => {
  await inTemp(`${HEADER}nodes:\n${NODE}    installDiskSelector: {type: hdd}\n`, async (dir) => {
    // Talos's verdict on the same config with HDD: the lower-case render edited to upper case.
    const ok = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "ours", cwd: dir, env: {} });
    const file = join(dir, "ours", ok.generated.configs[0]!.name);
    await writeFile(file, (await readFile(file, "utf8")).replace("type: hdd", "type: HDD"));
    const { report } = await runOracleJson<{ files: { errors: string[] }[] }>(["validate", "--mode", "metal", file]);
    assert.ok(
      report.files[0]!.errors.some((e) => /unsupported disk type "HDD"/.test(e)),
      report.files[0]!.errors.join("\n"),
    );
  });
  await inTemp(`${HEADER}nodes:\n${NODE}    installDiskSelector: {type: HDD}\n`, async (dir) => {
    await assert.rejects(
      runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "ours", cwd: dir, env: {} }),
      (e: TalformError) => {
        const d = e.diagnostics.find((x) => x.path === "nodes[0].installDiskSelector.type");
        assert.ok(d, e.diagnostics.map((x) => x.message).join("\n"));
        assert.equal(d.source?.line, 10);
        return true;
      },
    );
  });
});

// Talos 1.14 refuses a config where a document and the legacy v1alpha1 field it replaces are both set
// (V1Alpha1ConflictValidate). For every row of talform's conflict table, Talos's own 1.14 stability goldens get the
// legacy field (and the document, where the generator does not emit it), once with a value Talos sees as set and once
// with one it does not; talform's verdict and conflict errors must equal the real machinery's (talos-oracle, v1.14.1),
// and talform may raise no error Talos does not.
// And end to end: the talhelper-era kubelet patch genconfig refuses on 1.14 is one Talos refuses too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contractFor } from "../src/contract/index.js";
import {
  decodeMachineConfig,
  encodeDocuments,
  findV1Alpha1Conflicts,
  parseYamlDocuments,
  V1ALPHA1_CONFLICT_CODE,
  V1ALPHA1_CONFLICT_RULES,
  validateMachineConfig,
  type YamlMap,
} from "../src/machineconfig/index.js";
import {
  applyConflictCase,
  CONFLICT_CASES,
  ruleOf,
  type ConflictCase,
} from "../src/machineconfig/test-support/v1alpha1-conflict-cases.js";
import { defaultInstallImage, renderNode, runGenconfig } from "../src/genconfig/index.js";
import { encodeTestBundle, makeTestBundle } from "../src/machineconfig/test-support.js";
import { loadTalconfig } from "../src/talconfig/index.js";
import { referencePath, runOracleJson } from "./support/oracles.js";

interface ValidateReport {
  files: { file: string; ok: boolean; errors: string[]; warnings: string[] }[];
}

const contract = contractFor("v1.14")!;
const golden = (flavour: string, role: string) =>
  referencePath("talos-golden", "stability", "v1.14", `${flavour}-${role}.yaml`);
const parse = (text: string) => parseYamlDocuments(text).documents as YamlMap[];

/** talform's errors for a config text: the strict decoder's and the semantic validation's (no file prefix). */
function talformErrors(text: string): { conflicts: string[]; others: string[] } {
  const decoded = decodeMachineConfig(text, contract, "config");
  const findings = [...decoded.errors, ...validateMachineConfig(parse(text), contract, { mode: "metal" })].filter(
    (d) => d.severity === "error",
  );
  return {
    conflicts: findings.filter((d) => d.code === V1ALPHA1_CONFLICT_CODE).map((d) => d.message),
    others: findings.filter((d) => d.code !== V1ALPHA1_CONFLICT_CODE).map((d) => d.message),
  };
}

async function oracleVerdicts(texts: readonly string[]): Promise<ValidateReport["files"]> {
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-conflicts-"));
  try {
    const files = texts.map((_, i) => join(dir, `config-${i}.yaml`));
    await Promise.all(texts.map((t, i) => writeFile(files[i]!, t, { mode: 0o600 })));
    const { report } = await runOracleJson<ValidateReport>(["validate", "--mode", "metal", ...files]);
    assert.equal(report.files.length, texts.length);
    return report.files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sorted = (xs: readonly string[]) => [...xs].sort();

test("every rule of the conflict table has a conformance case (and no case lacks a rule)", () => {
  assert.deepEqual(
    sorted(CONFLICT_CASES.map((c) => `${c.kind} ${c.legacyPath}`)),
    sorted(V1ALPHA1_CONFLICT_RULES.map((r) => `${r.kind} ${r.legacyPath}`)),
  );
});

test("Talos's own 1.14 stability goldens: no conflict in talform, valid for Talos", async () => {
  const texts = await Promise.all(
    ["base", "overrides"].flatMap((f) => ["controlplane", "worker"].map((r) => readFile(golden(f, r), "utf8"))),
  );
  const verdicts = await oracleVerdicts(texts);
  texts.forEach((text, i) => {
    assert.deepEqual(findV1Alpha1Conflicts(parse(text), contract), [], `golden ${i}`);
    assert.deepEqual(verdicts[i]!.errors, [], `golden ${i}`);
  });
});

/** Every message of the table: Talos errors that are conflicts (several rows share one message). */
const CONFLICT_MESSAGES = new Set(V1ALPHA1_CONFLICT_RULES.map((r) => r.message));

for (const role of ["controlplane", "worker"] as const) {
  test(`each conflict rule on base-${role}: talform's verdict and conflict errors equal Talos's, with and without the conflicting value`, async () => {
    const base = parse(await readFile(golden("base", role), "utf8"));
    const variants: { c: ConflictCase; value: "conflicting" | "inert"; text: string }[] = CONFLICT_CASES.flatMap((c) =>
      (["conflicting", "inert"] as const).map((value) => ({
        c,
        value,
        text: encodeDocuments(applyConflictCase(base, c, value, contract)),
      })),
    );
    const verdicts = await oracleVerdicts(variants.map((v) => v.text));
    const agreeing = new Set<string>();
    variants.forEach(({ c, value, text }, i) => {
      const label = `${role} ${c.kind} .${c.legacyPath} ${value}`;
      const talos = verdicts[i]!.errors;
      const ours = talformErrors(text);
      // Same verdict; the same conflict errors, one per conflicting document; and no error Talos does not raise.
      // (Talos may raise more: a legacy .cluster.id without .cluster.secret also shadows the DiscoveryIdentityConfig
      // document, which talform's validation does not model.)
      assert.equal(
        ours.conflicts.length + ours.others.length > 0,
        talos.length > 0,
        `${label}: verdict (Talos: ${JSON.stringify(talos)})`,
      );
      assert.deepEqual(sorted(ours.conflicts), sorted(talos.filter((e) => CONFLICT_MESSAGES.has(e))), label);
      for (const e of ours.others)
        assert.ok(talos.includes(e), `${label}: talform's "${e}" is not among Talos's ${JSON.stringify(talos)}`);
      // The rule itself, on the control plane (which carries every document of the cases): talform fires it for the
      // conflicting value and not for the inert one, and Talos reports its message exactly then.
      if (role === "controlplane") {
        const fired = findV1Alpha1Conflicts(parse(text), contract).some((f) => f.rule === ruleOf(c));
        assert.equal(fired, value === "conflicting", label);
        assert.equal(talos.includes(ruleOf(c).message), value === "conflicting", label);
        if (fired) agreeing.add(`${c.kind} ${c.legacyPath}`);
      }
    });
    if (role === "controlplane")
      assert.equal(
        agreeing.size,
        V1ALPHA1_CONFLICT_RULES.length,
        "every rule fires on the control plane, as Talos's does",
      );
  });
}

test("genconfig: a node patch of machine.kubelet is what Talos 1.14 refuses and 1.13 accepts; talform says so before writing", async () => {
  const bundle = await makeTestBundle();
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-kubelet-patch-"));
  try {
    await writeFile(join(dir, "talsecret.yaml"), encodeTestBundle(bundle), { mode: 0o600 });
    const texts: string[] = [];
    for (const version of ["v1.14.1", "v1.13.9"]) {
      const talconfig = `clusterName: lab\ntalosVersion: ${version}\nkubernetesVersion: v1.35.0\nendpoint: https://10.0.0.10:6443\nnodes:\n  - hostname: w1\n    ipAddress: 10.0.0.21\n    installDisk: /dev/sda\n    patches:\n      - |-\n        machine:\n          kubelet:\n            extraArgs:\n              rotate-server-certificates: "true"\n`;
      await writeFile(join(dir, "talconfig.yaml"), talconfig);
      // What the node's config would be, rendered without genconfig's validation gate, for Talos to judge.
      const loaded = await loadTalconfig({ path: join(dir, "talconfig.yaml"), env: {} });
      const node = loaded.nodes[0]!;
      texts.push(
        renderNode(node, {
          config: loaded.config!,
          bundle,
          contract: contractFor(node.talosVersion)!,
          installImage: defaultInstallImage(loaded),
          readFile: () => "",
          env: loaded.env,
          dir,
        }).text,
      );
      const outcome = await runGenconfig({
        configPath: join(dir, "talconfig.yaml"),
        outDir: `out-${version}`,
        cwd: dir,
        env: {},
      }).then(
        () => "written",
        (e: Error & { diagnostics?: { message: string }[] }) => (e.diagnostics ?? []).map((d) => d.message).join("\n"),
      );
      assert.equal(
        outcome,
        version === "v1.14.1"
          ? "lab-w1.yaml: kubelet config is already set in v1alpha1 config (.machine.kubelet)"
          : "written",
        version,
      );
    }
    const [v114, v113] = await oracleVerdicts(texts);
    assert.deepEqual(v114!.errors, ["kubelet config is already set in v1alpha1 config (.machine.kubelet)"]);
    assert.deepEqual(v113!.errors, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

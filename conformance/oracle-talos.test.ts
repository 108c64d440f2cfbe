// First checks of talos-oracle against Talos's own stability goldens
// (pkg/machinery/config/types/v1alpha1/testdata/stability: the configs `generate.NewInput(...).Config(type)` emits per
// version contract, encoded without comments). They prove the oracle itself is faithful before other engineers use it
// as the reference for talform: it loads and validates real Talos output, rejects what Talos rejects, and its `gen`
// reproduces the goldens byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { referencePath, runOracle, runOracleJson } from "./support/oracles.js";

interface ValidateReport {
  files: { file: string; ok: boolean; errors: string[]; warnings: string[] }[];
}

const FLAVOURS = ["base", "overrides"] as const;
const MACHINE_TYPES = ["controlplane", "worker"] as const;
/** The contracts with stability goldens (1.3–1.15, talform supports all); the oracle (v1.14.1) validates them all. */
const LOADABLE = Array.from({ length: 13 }, (_, i) => `v1.${i + 3}`);
/** The contracts the oracle's machinery generates: all but 1.15, which is newer than v1.14.1. */
const GENERATED = LOADABLE.filter((v) => v !== "v1.15");
const minorOf = (version: string): number => Number(version.split(".")[1]);

const golden = (version: string, flavour: string, type: string) =>
  referencePath("talos-golden", "stability", version, `${flavour}-${type}.yaml`);
const goldensOf = (version: string) => FLAVOURS.flatMap((f) => MACHINE_TYPES.map((t) => golden(version, f, t)));

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("talos-oracle is built on Talos machinery v1.14.1 (the version docs/conformance.md names)", async () => {
  const { code, report } = await runOracleJson<{ machinery: string }>(["version"]);
  assert.equal(code, 0);
  assert.equal(report.machinery, "v1.14.1");
});

test("talos-oracle: unknown subcommands and bad flags are usage errors (exit 2)", async () => {
  assert.equal((await runOracle("talos-oracle", ["frobnicate"])).code, 2);
  assert.equal((await runOracle("talos-oracle", ["validate", "--mode", "bogus", "x.yaml"])).code, 2);
  assert.equal((await runOracle("talos-oracle", ["validate", "--mode", "cloud"])).code, 2);
});

// From the v1.14 contract the install image moves to UnattendedInstallConfig, and the overrides (which set an install
// disk but no image) get Talos's warning about it, in every mode.
const NO_IMAGE =
  "installer.image is not set, if Talos is not booted from asset built by Image Factory, installation will fail";
const WARNINGS: Record<string, Record<(typeof FLAVOURS)[number], string[]>> = {
  "v1.14": { base: [], overrides: [NO_IMAGE] },
  "v1.15": { base: [], overrides: [NO_IMAGE] },
};
// Container mode needs host DNS forwarding to kube-dns, which Talos's generator turns on from the 1.7 (hostDNS) and
// 1.8 (forwardKubeDNSToHost) contracts; machinery v1.14.1 applies that check to every contract (Talos 1.3–1.6
// themselves had no such check: talform's validator follows the node's own minor, contract.containerModeRequiresHostDNS).
const CONTAINER_ERRORS = (version: string): string[] =>
  minorOf(version) <= 6
    ? ["hostDNS config is required in container mode"]
    : minorOf(version) === 7
      ? ["forwardKubeDNSToHost must be enabled in container mode"]
      : [];

for (const version of LOADABLE) {
  for (const mode of ["cloud", "container"]) {
    test(`validate --strict --mode ${mode}: Talos ${version} stability goldens get Talos's verdicts`, async () => {
      const files = goldensOf(version);
      const { code, report } = await runOracleJson<ValidateReport>(["validate", "--mode", mode, "--strict", ...files]);
      const warnings = (file: string) => WARNINGS[version]?.[file.includes("/overrides-") ? "overrides" : "base"] ?? [];
      const errors = mode === "container" ? CONTAINER_ERRORS(version) : [];
      assert.deepEqual(
        report.files.map((f) => ({ file: f.file, errors: f.errors, warnings: f.warnings })),
        files.map((file) => ({ file, errors, warnings: warnings(file) })),
      );
      assert.equal(code, errors.length > 0 ? 1 : 0);
    });
  }
}

// Metal mode additionally requires an install disk, and from the v1.12 contract on the generator sets
// install.grubUseUKICmdline, which Talos refuses together with the overrides' extraKernelArgs. These are Talos's own
// verdicts on its own goldens; asserting them exactly proves the oracle really runs the mode-specific validation.
const NO_DISK = { base: ["either install disk or diskSelector should be defined"], overrides: [] };
const METAL_VERDICTS: Record<string, Record<(typeof FLAVOURS)[number], string[]>> = {
  ...Object.fromEntries(["v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9"].map((v) => [v, NO_DISK])),
  "v1.10": { base: ["either install disk or diskSelector should be defined"], overrides: [] },
  "v1.11": { base: ["either install disk or diskSelector should be defined"], overrides: [] },
  "v1.12": {
    base: ["either install disk or diskSelector should be defined"],
    overrides: ["install.extraKernelArgs and install.grubUseUKICmdline can't be used together"],
  },
  "v1.13": {
    base: ["either install disk or diskSelector should be defined"],
    overrides: ["install.extraKernelArgs and install.grubUseUKICmdline can't be used together"],
  },
  // v1.14 machines install from UnattendedInstallConfig, which the generator only writes when it has an install disk
  // (overrides); without it, metal mode no longer demands an install disk in the v1alpha1 document.
  "v1.14": { base: [], overrides: [] },
  "v1.15": { base: [], overrides: [] },
};

for (const version of LOADABLE) {
  test(`validate --mode metal: Talos ${version} goldens get Talos's metal verdicts`, async () => {
    const verdicts = METAL_VERDICTS[version]!;
    const files = goldensOf(version);
    const { code, report } = await runOracleJson<ValidateReport>(["validate", "--mode", "metal", ...files]);
    assert.deepEqual(
      report.files.map((f) => f.errors),
      FLAVOURS.flatMap((f) => MACHINE_TYPES.map(() => verdicts[f])),
    );
    assert.equal(code, report.files.every((f) => f.ok) ? 0 : 1);
  });
}

test("patch + validate --mode metal: the base goldens become metal-valid once an install disk is patched in", async () => {
  await withTempDir(async (dir) => {
    const strategic = join(dir, "install-disk.yaml");
    await writeFile(strategic, "machine:\n  install:\n    disk: /dev/sda\n");
    const json6902 = join(dir, "install-image.json");
    await writeFile(
      json6902,
      JSON.stringify([{ op: "add", path: "/machine/install/image", value: "ghcr.io/siderolabs/installer:v1.11.6" }]),
    );
    // v1.11 goldens are a single v1alpha1 document, so both patch kinds apply; v1.13 ones are multi-document.
    const cases = [
      { version: "v1.11", patches: [strategic, json6902], image: true },
      { version: "v1.13", patches: [strategic], image: false },
    ];
    for (const c of cases) {
      for (const type of MACHINE_TYPES) {
        const patched = await runOracle("talos-oracle", [
          "patch",
          "--base",
          golden(c.version, "base", type),
          "--patch",
          ...c.patches,
        ]);
        assert.equal(patched.code, 0, patched.stderr);
        assert.match(patched.stdout, /\n +disk: \/dev\/sda\n/);
        if (c.image) assert.match(patched.stdout, /\n +image: ghcr\.io\/siderolabs\/installer:v1\.11\.6\n/);
        const file = join(dir, `${c.version}-${type}.yaml`);
        await writeFile(file, patched.stdout);
        const { code, report } = await runOracleJson<ValidateReport>(["validate", "--mode", "metal", file]);
        assert.deepEqual(report.files[0]?.errors, [], `${c.version} ${type}`);
        assert.equal(code, 0);
      }
    }
  });
});

test("patch: JSON6902 on a multi-document config is refused, as Talos refuses it", async () => {
  await withTempDir(async (dir) => {
    const json6902 = join(dir, "p.json");
    await writeFile(json6902, JSON.stringify([{ op: "add", path: "/machine/install/disk", value: "/dev/sda" }]));
    const res = await runOracle("talos-oracle", [
      "patch",
      "--base",
      golden("v1.13", "base", "worker"),
      "--patch",
      json6902,
    ]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /JSON6902 patches are not supported for multi-document machine configuration/);
  });
});

test("validate: strict decoding rejects an unknown field, in the v1alpha1 document and in a typed document", async () => {
  await withTempDir(async (dir) => {
    const worker = await readFile(golden("v1.13", "base", "worker"), "utf8");
    assert.match(worker, /\nmachine:\n {4}type: worker\n/);
    const cases = [
      {
        name: "v1alpha1",
        text: worker.replace("\nmachine:\n    type: worker\n", "\nmachine:\n    type: worker\n    notAField: true\n"),
        field: "notAField",
      },
      {
        name: "WatchdogTimerConfig",
        text: `${worker}---\napiVersion: v1alpha1\nkind: WatchdogTimerConfig\ndevice: /dev/watchdog0\nbogusKey: 1\n`,
        field: "bogusKey",
      },
    ];
    for (const c of cases) {
      const file = join(dir, `${c.name}.yaml`);
      await writeFile(file, c.text);
      const { code, report } = await runOracleJson<ValidateReport>(["validate", "--mode", "cloud", file]);
      assert.equal(code, 1, c.name);
      assert.equal(report.files[0]?.ok, false);
      assert.ok(
        report.files[0]?.errors.some((e) => e.includes(c.field)),
        `${c.name}: ${JSON.stringify(report.files[0]?.errors)}`,
      );
    }
  });
});

// The inputs of TestConfigEncodingStability in machinery v1.14.1 (v1alpha1_stability_test.go), as `gen` input JSON.
function stabilityInput(version: string, flavour: string, machineType: string): Record<string, unknown> {
  const input: Record<string, unknown> = {
    secretsFile: referencePath("talos-golden", "stability", "secrets.yaml"),
    talosVersion: version,
    clusterName: "base",
    endpoint: "https://base:6443",
    kubernetesVersion: "1.28.0",
    machineType,
  };
  if (flavour === "overrides") {
    input.installDisk = "/dev/vda";
    input.options = {
      additionalSubjectAltNames: ["foo", "bar"],
      allowSchedulingOnControlPlanes: true,
      dnsDomain: "example.com",
      installExtraKernelArgs: ["foo=bar", "bar=baz"],
      localAPIServerPort: 5443,
      sysctls: { foo: "bar" },
      customCNIUrl: "https://example.com/cni.yaml",
      registryMirrors: { "ghcr.io": ["https://ghcr.io.my-mirror.com"] },
    };
    // Before the v1.14 contract (KernelModuleConfig) the stability test patches with patch-pre14.yaml.
    const pre14 = minorOf(version) < 14;
    input.patches = [referencePath("talos-golden", "stability", pre14 ? "patch-pre14.yaml" : "patch.yaml")];
  }
  return input;
}

for (const version of GENERATED) {
  test(`gen reproduces the Talos ${version} stability goldens byte for byte`, async () => {
    await withTempDir(async (dir) => {
      for (const flavour of FLAVOURS) {
        for (const type of MACHINE_TYPES) {
          const inputFile = join(dir, `${flavour}-${type}.json`);
          await writeFile(inputFile, JSON.stringify(stabilityInput(version, flavour, type)));
          const res = await runOracle("talos-oracle", ["gen", "--input", inputFile]);
          assert.equal(res.code, 0, res.stderr);
          assert.equal(
            res.stdout,
            await readFile(golden(version, flavour, type), "utf8"),
            `${version} ${flavour}-${type}`,
          );
        }
      }
    });
  });
}

test("gen: refuses a contract newer than its machinery and unknown input keys (exit 2)", async () => {
  await withTempDir(async (dir) => {
    const newer = join(dir, "newer.json");
    await writeFile(newer, JSON.stringify(stabilityInput("v1.15", "base", "worker")));
    const res = await runOracle("talos-oracle", ["gen", "--input", newer]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /newer than this oracle's machinery v1\.14\.1/);

    const typo = join(dir, "typo.json");
    await writeFile(
      typo,
      JSON.stringify({ ...stabilityInput("v1.13", "base", "worker"), options: { dnsDomian: "x" } }),
    );
    const res2 = await runOracle("talos-oracle", ["gen", "--input", typo]);
    assert.equal(res2.code, 2);
    assert.match(res2.stderr, /dnsDomian/);
  });
});

// machinery's own configpatcher tests (apply_test.go; the fixtures are v1.13.9's): the same patch sequences must give
// its expected files. One encoding changed in v1.14 machinery: `cluster.controlPlane` became omitempty, so the
// oracle no longer writes the `controlPlane: null` the v1.13.9 fixture has (talform encodes it per machinery version
// too: src/machineconfig/schema/shape.ts).
const V114_ENCODING = (expected: string) => expected.replace(/\n {4}controlPlane: null\n/, "\n");
const PATCHER_FIXTURES = [
  {
    dir: "apply",
    patches: ["strategic1.yaml", "jsonpatch1.yaml", "jsonpatch2.yaml", "strategic2.yaml", "strategic3.yaml"],
  },
  { dir: "multidoc", patches: ["strategic1.yaml", "strategic2.yaml"] },
  { dir: "auditpolicy", patches: ["patch1.yaml"] },
];

for (const f of PATCHER_FIXTURES) {
  test(`patch reproduces machinery's configpatcher fixture "${f.dir}" byte for byte`, async () => {
    const fixture = (name: string) => referencePath("talos-golden", "v1.13.9-configpatcher_testdata", f.dir, name);
    const res = await runOracle("talos-oracle", [
      "patch",
      "--base",
      fixture("config.yaml"),
      "--patch",
      ...f.patches.map(fixture),
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, V114_ENCODING(await readFile(fixture("expected.yaml"), "utf8")));
  });
}

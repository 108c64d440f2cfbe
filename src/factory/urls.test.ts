import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TalformError } from "../diagnostics/index.js";
import { EMPTY_SCHEMATIC_ID, parseSchematic, schematicId } from "./schematic.js";
import { bootAssetUrl, imageUrl, installerImageUrl, pxeScriptUrl, type FactoryNodeInput } from "./urls.js";

const E = EMPTY_SCHEMATIC_ID;
const exts = parseSchematic(
  "customization: {systemExtensions: {officialExtensions: [siderolabs/iscsi-tools, siderolabs/util-linux-tools]}}",
);
const X = schematicId(exts);
const node = (over: Partial<FactoryNodeInput> = {}): FactoryNodeInput => ({
  hostname: "n1",
  talosVersion: "v1.13.9",
  ...over,
});

describe("installerImageUrl", () => {
  const cases: [
    string,
    FactoryNodeInput,
    Parameters<typeof installerImageUrl>[1],
    Parameters<typeof installerImageUrl>[2],
    string,
  ][] = [
    ["empty schematic, defaults", node(), {}, {}, `factory.talos.dev/metal-installer/${E}:v1.13.9`],
    ["extensions", node({ schematic: exts }), {}, {}, `factory.talos.dev/metal-installer/${X}:v1.13.9`],
    [
      "secureboot + platform",
      node({ schematic: exts, machineSpec: { mode: "aws", secureboot: true } }),
      {},
      {},
      `factory.talos.dev/aws-installer-secureboot/${X}:v1.13.9`,
    ],
    [
      "legacy form",
      node({ machineSpec: { secureboot: true } }),
      {},
      { legacy: true },
      `factory.talos.dev/installer-secureboot/${E}:v1.13.9`,
    ],
    [
      "self-hosted registry, verbatim",
      node({ talosVersion: "1.5.4" }),
      { registryURL: "test.registry/" },
      {},
      `test.registry//metal-installer/${E}:1.5.4`,
    ],
    [
      "talosImageURL wins over the schematic",
      node({ schematic: exts, talosImageURL: "ghcr.io/me/installer" }),
      {},
      {},
      "ghcr.io/me/installer:v1.13.9",
    ],
    ["precomputed ID", node(), {}, { schematicId: "abc" }, "factory.talos.dev/metal-installer/abc:v1.13.9"],
    [
      "custom template with sprig",
      node({ talosVersion: "1.5.4" }),
      {
        registryURL: "     myregistry.com",
        installerURLTmpl: '{{ trim .RegistryURL }}/{{ or (hasPrefix "v" .Version) (print "v" .Version) }}',
      },
      {},
      "myregistry.com/v1.5.4",
    ],
  ];
  for (const [name, n, settings, opts, want] of cases)
    it(name, () => assert.equal(installerImageUrl(n, settings, opts), want));

  it("a broken template is a user error naming the setting", () => {
    assert.throws(
      () => installerImageUrl(node(), { installerURLTmpl: "{{ .Nope }}" }),
      (e: unknown) => e instanceof TalformError && /installerURLTmpl: can't evaluate field Nope/.test(e.message),
    );
  });
});

describe("imageUrl", () => {
  const cases: [string, FactoryNodeInput, Parameters<typeof imageUrl>[2], string][] = [
    ["iso by default", node({ schematic: exts }), {}, `https://factory.talos.dev/image/${X}/v1.13.9/metal-amd64.iso`],
    [
      "imageSchematic wins for images",
      node({ schematic: exts, imageSchematic: {} }),
      {},
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64.iso`,
    ],
    [
      "arm64 raw.xz",
      node({ machineSpec: { arch: "arm64", imageSuffix: "raw.xz", bootMethod: "disk-image" } }),
      {},
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-arm64.raw.xz`,
    ],
    [
      "qcow2 nocloud",
      node({ machineSpec: { mode: "nocloud", imageSuffix: "qcow2" } }),
      {},
      `https://factory.talos.dev/image/${E}/v1.13.9/nocloud-amd64.qcow2`,
    ],
    [
      "secureboot iso",
      node({ machineSpec: { secureboot: true } }),
      {},
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64-secureboot.iso`,
    ],
    [
      "secureboot + UKI",
      node({ machineSpec: { secureboot: true, useUKI: true } }),
      {},
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64-secureboot-uki.efi`,
    ],
    [
      "UKI without secureboot is ignored",
      node({ machineSpec: { useUKI: true } }),
      {},
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64.iso`,
    ],
    [
      "flags mode: disk-image keeps talhelper's .raw.zxt",
      node({ machineSpec: { bootMethod: "disk-image" } }),
      { specDefaults: "flags" },
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64.raw.zxt`,
    ],
    [
      "flags mode: pxe has no suffix",
      node({ machineSpec: { bootMethod: "pxe" } }),
      { specDefaults: "flags" },
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64`,
    ],
    [
      "talconfig mode: suffix defaults to iso even for disk-image",
      node({ machineSpec: { bootMethod: "disk-image" } }),
      {},
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64.iso`,
    ],
    [
      "talosImageURL does not affect images",
      node({ talosImageURL: "x/y" }),
      {},
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64.iso`,
    ],
  ];
  for (const [name, n, opts, want] of cases) it(name, () => assert.equal(imageUrl(n, {}, opts), want));

  it("self-hosted factory settings", () => {
    assert.equal(
      imageUrl(node(), { registryURL: "factory.lan:8080", protocol: "http" }),
      `http://factory.lan:8080/image/${E}/v1.13.9/metal-amd64.iso`,
    );
    assert.equal(
      imageUrl(node(), { ISOURLTmpl: "{{.Protocol}}://{{.RegistryURL}}/{{.ID}}/{{.Arch}}{{.Suffix}}" }),
      `https://factory.talos.dev/${E}/amd64.iso`,
    );
  });
});

describe("factory asset URLs", () => {
  const req = { schematicId: "id", talosVersion: "1.13.9" };
  const cases: [Parameters<typeof bootAssetUrl>[1], Partial<Parameters<typeof bootAssetUrl>[0]>, string][] = [
    [{ kind: "iso" }, {}, "metal-amd64.iso"],
    [{ kind: "iso" }, { arch: "arm64", secureboot: true }, "metal-arm64-secureboot.iso"],
    [{ kind: "disk", suffix: "raw.xz" }, { platform: "nocloud" }, "nocloud-amd64.raw.xz"],
    [{ kind: "disk", suffix: ".qcow2" }, {}, "metal-amd64.qcow2"],
    [{ kind: "uki" }, { secureboot: true }, "metal-amd64-secureboot-uki.efi"],
    [{ kind: "kernel" }, { arch: "arm64" }, "kernel-arm64"],
    [{ kind: "initramfs" }, {}, "initramfs-amd64.xz"],
    [{ kind: "cmdline" }, { secureboot: true }, "cmdline-metal-amd64-secureboot"],
    [{ kind: "installer-tar" }, {}, "metal-installer-amd64.tar"],
  ];
  for (const [asset, over, file] of cases) {
    it(`${asset.kind} ${file}`, () =>
      assert.equal(bootAssetUrl({ ...req, ...over }, asset), `https://factory.talos.dev/image/id/v1.13.9/${file}`));
  }
  it("pxe", () => {
    assert.equal(pxeScriptUrl({ ...req, arch: "arm64" }), "https://pxe.talos.dev/pxe/id/v1.13.9/metal-arm64");
    assert.equal(
      pxeScriptUrl({ ...req, secureboot: true, pxeBaseURL: "http://pxe.lan/" }),
      "http://pxe.lan/pxe/id/v1.13.9/metal-amd64-secureboot",
    );
  });
  it("rejects other architectures", () =>
    assert.throws(() => bootAssetUrl({ ...req, arch: "riscv64" as "amd64" }, { kind: "iso" }), TalformError));
});

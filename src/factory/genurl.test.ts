import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TalformError } from "../diagnostics/index.js";
import { genurlForNodes, genurlFromFlags, type GenurlNode } from "./genurl.js";
import { EMPTY_SCHEMATIC_ID, parseSchematic, schematicId } from "./schematic.js";

const E = EMPTY_SCHEMATIC_ID;
const gpu = parseSchematic(
  "customization: {systemExtensions: {officialExtensions: [siderolabs/nonfree-kmod-nvidia-production, siderolabs/nvidia-container-toolkit-production]}}",
);
const G = schematicId(gpu);
const nodes: GenurlNode[] = [
  { hostname: "cp0", ipAddress: "10.0.0.10", talosVersion: "v1.13.9" },
  {
    hostname: "gpu0",
    ipAddress: "10.0.0.20, 10.0.0.21",
    talosVersion: "v1.13.9",
    schematic: gpu,
    machineSpec: { secureboot: true },
  },
];

describe("genurlForNodes", () => {
  it("one line per node with the hostname", () => {
    assert.equal(
      genurlForNodes("installer", nodes),
      `cp0: factory.talos.dev/metal-installer/${E}:v1.13.9\ngpu0: factory.talos.dev/metal-installer-secureboot/${G}:v1.13.9\n`,
    );
  });
  it("a selected node (by any of its IPs or hostname) prints the bare URL", () => {
    for (const n of ["gpu0", "10.0.0.21"])
      assert.equal(
        genurlForNodes("image", nodes, {}, { node: n }),
        `https://factory.talos.dev/image/${G}/v1.13.9/metal-amd64-secureboot.iso\n`,
      );
  });
  it("installer -n matches the whole ipAddress string only (talhelper quirk)", () => {
    assert.throws(() => genurlForNodes("installer", nodes, {}, { node: "10.0.0.21" }), TalformError);
    assert.equal(
      genurlForNodes("installer", nodes, {}, { node: "10.0.0.20, 10.0.0.21" }),
      `factory.talos.dev/metal-installer-secureboot/${G}:v1.13.9\n`,
    );
  });
  it("a single-node cluster prints the bare URL", () => {
    assert.equal(genurlForNodes("installer", [nodes[0]!]), `factory.talos.dev/metal-installer/${E}:v1.13.9\n`);
  });
  it("precomputed IDs are used", () => {
    assert.equal(
      genurlForNodes("installer", nodes, {}, { node: "cp0", schematicIds: new Map([["cp0", "abc"]]) }),
      "factory.talos.dev/metal-installer/abc:v1.13.9\n",
    );
  });
  it("an unknown node is talhelper's error", () => {
    assert.throws(
      () => genurlForNodes("installer", nodes, {}, { node: "x" }),
      (e: unknown) => e instanceof TalformError && /Node with IP address or hostname of x is not found/.test(e.message),
    );
  });
});

describe("genurlFromFlags", () => {
  it("defaults: empty schematic, newest Talos", () => {
    assert.equal(genurlFromFlags("installer", {}), `factory.talos.dev/metal-installer/${E}:v1.13.9\n`);
    assert.equal(genurlFromFlags("image", {}), `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64.iso\n`);
  });
  it("extensions and kernel args build the schematic", () => {
    const id = schematicId(
      parseSchematic(
        "customization: {extraKernelArgs: [net.ifnames=0], systemExtensions: {officialExtensions: [siderolabs/tailscale]}}",
      ),
    );
    assert.equal(
      genurlFromFlags("installer", {
        extensions: ["siderolabs/tailscale"],
        kernelArgs: ["net.ifnames=0"],
        version: "v1.12.0",
      }),
      `factory.talos.dev/metal-installer/${id}:v1.12.0\n`,
    );
  });
  it("--customization-file replaces -e/-k", () => {
    assert.equal(
      genurlFromFlags("installer", { schematic: gpu, extensions: ["siderolabs/zfs"] }),
      `factory.talos.dev/metal-installer/${G}:v1.13.9\n`,
    );
  });
  it("the registry flag applies to installers only (as in talhelper)", () => {
    assert.equal(
      genurlFromFlags("installer", { registryURL: "factory.lan" }),
      `factory.lan/metal-installer/${E}:v1.13.9\n`,
    );
    assert.equal(
      genurlFromFlags("image", { registryURL: "factory.lan" }),
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64.iso\n`,
    );
  });
  it("boot methods without a suffix", () => {
    assert.equal(
      genurlFromFlags("image", { machineSpec: { bootMethod: "pxe" } }),
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-amd64\n`,
    );
    assert.equal(
      genurlFromFlags("image", { machineSpec: { bootMethod: "disk-image", imageSuffix: "raw.xz", arch: "arm64" } }),
      `https://factory.talos.dev/image/${E}/v1.13.9/metal-arm64.raw.xz\n`,
    );
  });
});

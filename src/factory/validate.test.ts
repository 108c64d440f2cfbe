import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Schematic } from "./schematic.js";
import { schematicDiagnostics } from "./validate.js";

const s = (exts: string[], args: string[] = []): Schematic => ({
  customization: { extraKernelArgs: args, systemExtensions: { officialExtensions: exts } },
});

describe("schematicDiagnostics", () => {
  it("is quiet for a good schematic", () => {
    assert.deepEqual(
      schematicDiagnostics(s(["siderolabs/iscsi-tools", "siderolabs/util-linux-tools"], ["net.ifnames=0"]), {
        talosVersion: "v1.13.9",
      }),
      [],
    );
  });
  it("flags unknown names with a suggestion, missing prefixes and duplicates", () => {
    const d = schematicDiagnostics(
      s(["siderolabs/iscsi-tool", "qemu-guest-agent", "siderolabs/zfs", "siderolabs/zfs", "acme/thing"]),
      { talosVersion: "v1.13.9", node: "n1", path: "nodes[0].schematic" },
    );
    assert.deepEqual(
      d.map((x) => [x.code, x.path, x.hint]),
      [
        [
          "unknown-extension",
          "nodes[0].schematic.customization.systemExtensions.officialExtensions[0]",
          'did you mean "siderolabs/iscsi-tools"?',
        ],
        [
          "unknown-extension",
          "nodes[0].schematic.customization.systemExtensions.officialExtensions[1]",
          'write "siderolabs/qemu-guest-agent"',
        ],
        [
          "duplicate-extension",
          "nodes[0].schematic.customization.systemExtensions.officialExtensions[3]",
          "remove the duplicate; the factory keeps both and the schematic ID changes",
        ],
        [
          "unknown-extension",
          "nodes[0].schematic.customization.systemExtensions.officialExtensions[4]",
          "see https://github.com/siderolabs/extensions for the official names",
        ],
      ],
    );
    assert.ok(d.every((x) => x.node === "n1" && x.severity === "warning"));
  });
  it("retired names warn on new Talos versions", () => {
    assert.equal(
      schematicDiagnostics(s(["siderolabs/nvidia-container-toolkit"]), { talosVersion: "v1.13.0" })[0]?.code,
      "unknown-extension",
    );
  });
  it("does not check names for a self-hosted factory", () => {
    assert.deepEqual(
      schematicDiagnostics(s(["acme/thing"]), { talosVersion: "v1.13.9", registryURL: "factory.lan" }),
      [],
    );
  });
  it("notes YAML 1.1 look-alike kernel arguments", () => {
    const d = schematicDiagnostics(s([], ["on", "quiet", "1:20"]), { talosVersion: "v1.13.9" });
    assert.deepEqual(
      d.map((x) => [x.severity, x.code, x.path]),
      [
        ["info", "yaml11-scalar", "schematic.customization.extraKernelArgs[0]"],
        ["info", "yaml11-scalar", "schematic.customization.extraKernelArgs[2]"],
      ],
    );
  });
});

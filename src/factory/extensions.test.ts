import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TalformError } from "../diagnostics/index.js";
import { EXTENSION_CATALOGUE, officialExtensions } from "./extensions.js";

describe("extension catalogue", () => {
  it("contains the extensions the seed cluster uses, for every supported Talos minor", () => {
    const seed = [
      "amd-ucode",
      "gasket-driver",
      "iscsi-tools",
      "nfsd",
      "qemu-guest-agent",
      "util-linux-tools",
      "nonfree-kmod-nvidia-production",
      "nvidia-container-toolkit-production",
      "nonfree-kmod-nvidia-lts",
      "nvidia-container-toolkit-lts",
      "nvidia-open-gpu-kernel-modules-production",
      "nvidia-open-gpu-kernel-modules-lts",
    ];
    for (const v of ["v1.10.0", "v1.11.2", "v1.12.0", "v1.13.9", "v1.14.0"]) {
      const names = officialExtensions(v);
      for (const n of seed) assert.ok(names.has(`siderolabs/${n}`), `${n} @ ${v}`);
    }
  });
  it("retired names are only offered for old versions", () => {
    assert.ok(officialExtensions("v1.9.5").has("siderolabs/nvidia-container-toolkit"));
    assert.ok(!officialExtensions("v1.13.0").has("siderolabs/nvidia-container-toolkit"));
    assert.ok(!officialExtensions("v1.9.5").has("siderolabs/nvidia-container-toolkit-production"));
    assert.ok(officialExtensions().has("siderolabs/nvidia-container-toolkit"));
  });
  it("entries are well-formed, sorted and unique", () => {
    const names = EXTENSION_CATALOGUE.map((e) => e.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, names.length);
    for (const e of EXTENSION_CATALOGUE) {
      assert.match(e.name, /^siderolabs\/[a-z0-9][a-z0-9-]*$/);
      assert.ok(e.seenIn.length > 0, e.name);
    }
  });
  it("rejects a malformed version", () => assert.throws(() => officialExtensions("latest"), TalformError));
});

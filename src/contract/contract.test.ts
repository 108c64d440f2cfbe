import { test } from "node:test";
import assert from "node:assert/strict";
import { compareTalosVersions, contractFor, parseTalosVersion, SUPPORTED_TALOS_MINORS } from "./index.js";

test("parseTalosVersion accepts v-prefixed and bare versions, with pre-release", () => {
  const table: [string, ReturnType<typeof parseTalosVersion>][] = [
    ["v1.13.9", { major: 1, minor: 13, patch: 9, pre: "" }],
    ["1.12", { major: 1, minor: 12, patch: 0, pre: "" }],
    ["v1.14.0-rc.1", { major: 1, minor: 14, patch: 0, pre: "rc.1" }],
    ["latest", undefined],
    ["v1", undefined],
  ];
  for (const [input, want] of table) assert.deepEqual(parseTalosVersion(input), want, input);
});

test("compareTalosVersions orders pre-releases before releases", () => {
  const v = (s: string) => parseTalosVersion(s)!;
  assert.ok(compareTalosVersions(v("v1.14.0-rc.1"), v("v1.14.0")) < 0);
  assert.ok(compareTalosVersions(v("v1.13.9"), v("v1.14.0-rc.1")) < 0);
  assert.equal(compareTalosVersions(v("v1.12.3"), v("1.12.3")), 0);
});

test("contract predicates flip at the documented minors", () => {
  const table: [string, (c: NonNullable<ReturnType<typeof contractFor>>) => boolean, string[]][] = [
    ["multidocNetworkConfigSupported", (c) => c.multidocNetworkConfigSupported(), ["v1.12", "v1.13", "v1.14"]],
    ["multidocKubernetesConfigSupported", (c) => c.multidocKubernetesConfigSupported(), ["v1.14"]],
    ["lifecycleUpgradeApi", (c) => c.lifecycleUpgradeApi(), ["v1.13", "v1.14"]],
    ["installerPrePullApi", (c) => c.installerPrePullApi(), ["v1.13", "v1.14"]],
    ["nvidiaGpuViaCdi", (c) => c.nvidiaGpuViaCdi(), ["v1.13", "v1.14"]],
    ["explicitRebootForConfigChanges", (c) => c.explicitRebootForConfigChanges(), ["v1.14"]],
    ["addExcludeFromExternalLoadBalancer", (c) => c.addExcludeFromExternalLoadBalancer(), SUPPORTED_TALOS_MINORS as string[]],
  ];
  for (const [name, pred, trueFor] of table) {
    for (const minor of SUPPORTED_TALOS_MINORS) {
      assert.equal(pred(contractFor(minor)!), trueFor.includes(minor), `${name} @ ${minor}`);
    }
  }
});

test("every supported minor has a facts row and older ones do not", () => {
  for (const minor of SUPPORTED_TALOS_MINORS) assert.ok(contractFor(minor)?.supported, minor);
  assert.equal(contractFor("v1.9.5")?.supported, false);
  assert.equal(contractFor("v1.15.0")?.supported, false);
});

test("machine-config generation predicates flip at the minors Talos's generator uses", () => {
  const upTo11 = ["v1.10", "v1.11"];
  const from12 = ["v1.12", "v1.13", "v1.14"];
  const from13 = ["v1.13", "v1.14"];
  const only14 = ["v1.14"];
  const table: [string, (c: NonNullable<ReturnType<typeof contractFor>>) => boolean, string[]][] = [
    ["stableHostnameInV1Alpha1", (c) => c.stableHostnameInV1Alpha1(), upTo11],
    ["hideRBACAndKeyUsage", (c) => c.hideRBACAndKeyUsage(), from12],
    ["hideDisablePSP", (c) => c.hideDisablePSP(), from12],
    ["populateClusterSANsFromEndpoint", (c) => c.populateClusterSANsFromEndpoint(), upTo11],
    ["kubeSpanMultidocConfig", (c) => c.kubeSpanMultidocConfig(), from13],
    ["hostDNSMultidocConfig", (c) => c.hostDNSMultidocConfig(), only14],
    ["discoveryServiceMultidocConfig", (c) => c.discoveryServiceMultidocConfig(), only14],
    ["discoveryIdentityMultidocConfig", (c) => c.discoveryIdentityMultidocConfig(), only14],
    ["unattendedInstallConfig", (c) => c.unattendedInstallConfig(), only14],
    ["filesystemTrimEnabledByDefault", (c) => c.filesystemTrimEnabledByDefault(), only14],
    ["workloadIsolationEnabledByDefault", (c) => c.workloadIsolationEnabledByDefault(), only14],
    ["multidocSysctlConfigSupported", (c) => c.multidocSysctlConfigSupported(), only14],
    ["clusterControlPlaneOmitEmpty", (c) => c.clusterControlPlaneOmitEmpty(), only14],
    ["patchRepeatedDocumentsAllowed", (c) => c.patchRepeatedDocumentsAllowed(), only14],
    ["kernelModuleMultidocConfig", (c) => c.kernelModuleMultidocConfig(), only14],
    ["systemDiskEncryptionConflictsWithVolumeConfig", (c) => c.systemDiskEncryptionConflictsWithVolumeConfig(), from12],
  ];
  for (const [name, pred, trueFor] of table) {
    for (const minor of SUPPORTED_TALOS_MINORS) {
      assert.equal(pred(contractFor(minor)!), trueFor.includes(minor), `${name} @ ${minor}`);
    }
  }
});

test("unifiedMaintenanceApi flips at 1.13", () => {
  for (const minor of SUPPORTED_TALOS_MINORS) {
    assert.equal(contractFor(minor)!.unifiedMaintenanceApi(), ["v1.13", "v1.14"].includes(minor), minor);
  }
});

test("secrets predicates: secretbox from 1.3, RSA service-account key from 1.7, std-base64 cluster id from 1.14", () => {
  const c = (v: string) => contractFor(v)!;
  assert.equal(c("v1.2").secretboxEncryptionSupported(), false);
  assert.equal(c("v1.3").secretboxEncryptionSupported(), true);
  assert.equal(c("v1.6").useRSAServiceAccountKey(), false);
  assert.equal(c("v1.7").useRSAServiceAccountKey(), true);
  assert.equal(c("v1.13").clusterIdStdBase64(), false);
  assert.equal(c("v1.14").clusterIdStdBase64(), true);
});

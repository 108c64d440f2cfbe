import { test } from "node:test";
import assert from "node:assert/strict";
import {
  compareTalosVersions,
  contractFor,
  parseTalosVersion,
  SUPPORTED_TALOS_MINORS,
  SUPPORTED_TALOS_RANGE,
} from "./index.js";

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

type Predicate = (c: NonNullable<ReturnType<typeof contractFor>>) => boolean;
const minorNumber = (m: string): number => Number(m.split(".")[1]);
/** The supported minors from `first` on (inclusive), or up to `last` (inclusive). */
const from = (first: string): string[] => SUPPORTED_TALOS_MINORS.filter((m) => minorNumber(m) >= minorNumber(first));
const upTo = (last: string): string[] => SUPPORTED_TALOS_MINORS.filter((m) => minorNumber(m) <= minorNumber(last));

function assertFlips(table: readonly (readonly [string, Predicate, readonly string[]])[]): void {
  for (const [name, pred, trueFor] of table) {
    for (const minor of SUPPORTED_TALOS_MINORS) {
      assert.equal(pred(contractFor(minor)!), trueFor.includes(minor), `${name} @ ${minor}`);
    }
  }
}

test("the supported minors are 1.3–1.15, in order", () => {
  assert.deepEqual(
    SUPPORTED_TALOS_MINORS,
    Array.from({ length: 13 }, (_, i) => `v1.${i + 3}`),
  );
  assert.equal(SUPPORTED_TALOS_RANGE, "v1.3–v1.15");
});

test("contract predicates flip at the documented minors", () => {
  assertFlips([
    ["multidocNetworkConfigSupported", (c) => c.multidocNetworkConfigSupported(), from("v1.12")],
    ["multidocKubernetesConfigSupported", (c) => c.multidocKubernetesConfigSupported(), from("v1.14")],
    ["lifecycleUpgradeApi", (c) => c.lifecycleUpgradeApi(), from("v1.13")],
    ["installerPrePullApi", (c) => c.installerPrePullApi(), from("v1.13")],
    ["nvidiaGpuViaCdi", (c) => c.nvidiaGpuViaCdi(), from("v1.13")],
    ["explicitRebootForConfigChanges", (c) => c.explicitRebootForConfigChanges(), from("v1.14")],
    ["addExcludeFromExternalLoadBalancer", (c) => c.addExcludeFromExternalLoadBalancer(), from("v1.8")],
    ["unifiedMaintenanceApi", (c) => c.unifiedMaintenanceApi(), from("v1.13")],
    ["machineConfigSpecAsString", (c) => c.machineConfigSpecAsString(), from("v1.12")],
  ]);
});

test("every supported minor has a facts row and older ones do not", () => {
  for (const minor of SUPPORTED_TALOS_MINORS) assert.ok(contractFor(minor)?.supported, minor);
  assert.equal(contractFor("v1.2.8")?.supported, false);
  assert.equal(contractFor("v1.16.0")?.supported, false);
  // 1.15 has goldens (Talos main) but no release talform knows of.
  assert.equal(contractFor("v1.15.0")?.facts?.latestPatch, undefined);
  assert.equal(contractFor("v1.14.0")?.facts?.latestPatch, "v1.14.1");
});

test("machine-config generation predicates flip at the minors Talos's generator uses", () => {
  assertFlips([
    ["diskQuotaSupportEnabled", (c) => c.diskQuotaSupportEnabled(), from("v1.5")],
    ["kubePrismEnabled", (c) => c.kubePrismEnabled(), from("v1.6")],
    ["hostDNSEnabled", (c) => c.hostDNSEnabled(), from("v1.7")],
    ["hostDNSForwardKubeDNSToHost", (c) => c.hostDNSForwardKubeDNSToHost(), from("v1.8")],
    ["clusterNameForWorkers", (c) => c.clusterNameForWorkers(), from("v1.8")],
    ["stableHostnameInV1Alpha1", (c) => c.stableHostnameInV1Alpha1(), upTo("v1.11")],
    ["hideRBACAndKeyUsage", (c) => c.hideRBACAndKeyUsage(), from("v1.12")],
    ["hideDisablePSP", (c) => c.hideDisablePSP(), from("v1.12")],
    ["populateClusterSANsFromEndpoint", (c) => c.populateClusterSANsFromEndpoint(), upTo("v1.11")],
    ["kubeSpanMultidocConfig", (c) => c.kubeSpanMultidocConfig(), from("v1.13")],
    ["hostDNSMultidocConfig", (c) => c.hostDNSMultidocConfig(), from("v1.14")],
    ["discoveryServiceMultidocConfig", (c) => c.discoveryServiceMultidocConfig(), from("v1.14")],
    ["discoveryIdentityMultidocConfig", (c) => c.discoveryIdentityMultidocConfig(), from("v1.14")],
    ["unattendedInstallConfig", (c) => c.unattendedInstallConfig(), from("v1.14")],
    ["filesystemTrimEnabledByDefault", (c) => c.filesystemTrimEnabledByDefault(), from("v1.14")],
    ["workloadIsolationEnabledByDefault", (c) => c.workloadIsolationEnabledByDefault(), from("v1.14")],
    ["multidocSysctlConfigSupported", (c) => c.multidocSysctlConfigSupported(), from("v1.14")],
    ["clusterControlPlaneOmitEmpty", (c) => c.clusterControlPlaneOmitEmpty(), from("v1.14")],
    ["patchRepeatedDocumentsAllowed", (c) => c.patchRepeatedDocumentsAllowed(), from("v1.14")],
    ["kernelModuleMultidocConfig", (c) => c.kernelModuleMultidocConfig(), from("v1.14")],
    [
      "systemDiskEncryptionConflictsWithVolumeConfig",
      (c) => c.systemDiskEncryptionConflictsWithVolumeConfig(),
      from("v1.12"),
    ],
  ]);
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

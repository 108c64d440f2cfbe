import type { TalosContract } from "../contract/index.js";
import type { DiffEntry } from "./types.js";

/**
 * Which config changes need a reboot, by the node's Talos version.
 *
 * Up to 1.13 Talos decides with `CanApplyImmediate`: `.debug`, `.cluster` and the listed `.machine` sections apply
 * live, anything else in the v1alpha1 document needs a reboot; other documents apply live.
 * From 1.14 (AUTO never reboots) Talos no longer tells, and its docs list the changes that still need one: etcd
 * settings, environment variables, kernel module parameters/removals and disk encryption (peers.md §0.1–0.2).
 */
const LIVE_MACHINE_SECTIONS = new Set([
  "ca",
  "acceptedCAs",
  "time",
  "certSANs",
  "install",
  "network",
  "sysfs",
  "sysctls",
  "logging",
  "controlPlane",
  "kubelet",
  "kernel",
  "registries",
  "pods",
  "seccompProfiles",
  "nodeLabels",
  "nodeAnnotations",
  "nodeTaints",
]);
const LIVE_FEATURES = new Set(["kubernetesTalosAPIAccess", "hostDNS"]);

export function rebootReasons(diff: readonly DiffEntry[], contract: TalosContract): string[] {
  const reasons = new Set<string>();
  for (const d of diff) {
    const reason = contract.explicitRebootForConfigChanges() ? documentedRebootChange(d) : notImmediate(d);
    if (reason) reasons.add(reason);
  }
  return [...reasons].sort();
}

function notImmediate(d: DiffEntry): string | undefined {
  if (d.document !== "v1alpha1") return undefined;
  const [top, section, sub] = d.path.split(".");
  if (!top) return "v1alpha1 document";
  if (top === "debug" || top === "cluster") return undefined;
  if (top !== "machine") return `.${top}`;
  if (!section) return ".machine";
  if (LIVE_MACHINE_SECTIONS.has(section)) return undefined;
  if (section === "features" && sub && LIVE_FEATURES.has(sub)) return undefined;
  return `.machine.${section}${section === "features" && sub ? `.${sub}` : ""}`;
}

function documentedRebootChange(d: DiffEntry): string | undefined {
  const kind = d.document.split("/")[0]!;
  if (d.document === "v1alpha1") {
    if (d.path.startsWith("cluster.etcd")) return ".cluster.etcd (etcd is not restarted)";
    if (d.path.startsWith("machine.env")) return ".machine.env (environment variables)";
    if (d.path.startsWith("machine.systemDiskEncryption")) return ".machine.systemDiskEncryption";
    if (d.path.startsWith("machine.kernel.modules") && d.op !== "add")
      return ".machine.kernel.modules (modules are never unloaded)";
    return undefined;
  }
  if (kind === "EtcdConfig") return "EtcdConfig (etcd is not restarted)";
  if (kind === "EnvironmentConfig") return "EnvironmentConfig (environment variables)";
  if (kind === "KernelModuleConfig" && d.op !== "add")
    return `${d.document} (modules are never unloaded; parameters apply at boot)`;
  if ((kind === "VolumeConfig" || kind === "UserVolumeConfig") && /(^|\.)encryption/.test(d.path))
    return `${d.document} encryption`;
  return undefined;
}

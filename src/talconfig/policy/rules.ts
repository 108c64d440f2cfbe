import { addressPrefix } from "./address-rules.js";
import { controlPlaneLbLabel, controlPlaneNoNvidia } from "./controlplane-rules.js";
import { extensionName } from "./extension-rules.js";
import { gpuContainerToolkit, gpuDriverFlavour, gpuKernelModules, gpuRuntime } from "./gpu-rules.js";
import { longhornDataVolume, machineFilesDeprecated } from "./migration-rules.js";
import { nameservers, staticAddressing, timeServers } from "./network-rules.js";
import { secretsEncrypted, sopsCreationRule } from "./secret-rules.js";
import type { PolicyRule } from "./types.js";
import { kubernetesVersionRule, talosVersionRule } from "./version-rules.js";

export { BUNDLE_SECRET_PATHS, sopsEncryptsPath } from "./secret-rules.js";

export const POLICY_RULES: readonly PolicyRule[] = [
  talosVersionRule,
  kubernetesVersionRule,
  extensionName,
  gpuContainerToolkit,
  gpuDriverFlavour,
  gpuKernelModules,
  gpuRuntime,
  controlPlaneLbLabel,
  controlPlaneNoNvidia,
  staticAddressing,
  addressPrefix,
  nameservers,
  timeServers,
  longhornDataVolume,
  machineFilesDeprecated,
  secretsEncrypted,
  sopsCreationRule,
];

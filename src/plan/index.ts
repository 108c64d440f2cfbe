export type {
  DesiredCluster,
  DesiredNode,
  ObservedCluster,
  ObservedNode,
  Plan,
  NodePlan,
  PlanAction,
  ActionType,
  DiffEntry,
  ObservedRevision,
  PlanProblem,
  KubernetesUpgradePlan,
  KubernetesUpgradeStep,
} from "./types.js";
export { ACTION_TYPES } from "./types.js";
export { assemblePlan, desiredDigest, observedRevision, type AssemblePlanOptions } from "./assemble.js";
export { observeCluster, observeNode, mapBounded, type ObserveTarget } from "./observe.js";
export { createClusterAccess, type ClusterAccess, type ClusterAccessOptions } from "./cluster-access.js";
export { createKubeApi, type KubeApi, type KubeNode } from "./kube-client.js";
export {
  configDigest,
  digestText,
  parseConfigDocuments,
  installerImageOf,
  kubernetesImagesOf,
  kubeletVersionOf,
  imageTagVersion,
  withImageTag,
} from "./config-documents.js";
export { diffConfigs, redact } from "./config-diff.js";
export { rebootReasons } from "./reboot-impact.js";
export { upgradePath } from "./upgrade-path.js";
export { parsePlanJson, PLAN_FORMAT_VERSION, planJsonSchema } from "./plan-format.js";
export { formatPlan } from "./format.js";
export { desiredFromRendered } from "./desired-adapter.js";
export {
  planKubernetesUpgrade,
  preUpgradeChecks,
  STATIC_POD_COMPONENTS,
  withKubernetesVersion,
} from "./kubernetes-upgrade.js";

/**
 * health and doctor: the seed's troubleshooting guide, automated. Checks are pure functions over an observation of
 * the cluster (checks/); `collect` fills the observation through the Talos API and the cluster's Kubernetes API.
 */
export type {
  ClusterObservation,
  NodeObservation,
  ExpectedNode,
  Finding,
  ServiceView,
  ExtensionView,
  KubeNodeView,
  EtcdView,
  RouteView,
} from "./types.js";
export {
  CHECKS,
  diagnose,
  configDifferences,
  serviceFailing,
  type CheckContext,
  type LocalState,
} from "./checks/index.js";
export { collect, type CollectOptions } from "./collect.js";
export { clientHealthChecks, formatHealth, type HealthCheckResult } from "./health.js";
export { expectedNodes, configFileName } from "./expect.js";
export { gatherLocalState, SECRETS_FILES, type GatherOptions } from "./local.js";
export { machineConfigFacts, type MachineConfigFacts } from "./config-facts.js";
export { listKubeNodes, parseKubeconfig } from "./kube.js";
export { formatFindings } from "./report.js";
export { runDoctor, runHealth, type DoctorResult, type HealthResult, type HealthOptions, type Target } from "./run.js";

/**
 * genconfig: talconfig nodes → Talos machine configs, as `talhelper genconfig` renders them, on talform's
 * Talos-exact generator and patcher.
 */
export { renderNode, clusterOptions, type RenderContext, type RenderedNode, type TalosMode } from "./render-node.js";
export { nodeDocuments } from "./multidocs.js";
export { networkDocuments, selectorExpression } from "./network.js";
export { presetDocuments, presetPatches, type Preset } from "./presets.js";
export { executeTemplate } from "./template.js";
export { configField, configTemplateData } from "./config-fields.js";
export {
  generateCluster,
  defaultInstallImage,
  FINGERPRINT_FILE,
  fingerprintChanges,
  encodeFingerprint,
  type GenerateClusterInput,
  type GeneratedCluster,
  type GeneratedFile,
  type InputFingerprint,
} from "./cluster.js";
export { writeAllOrNothing, gitignoreText, documentDiffs, lineDiff, redact, type OutputFile } from "./output.js";
export {
  runGenconfig,
  renderCluster,
  clusterconfigStaleness,
  inputFingerprint,
  DEFAULT_SECRETS_FILES,
  type RunGenconfigOptions,
  type RunGenconfigResult,
  type RenderClusterOptions,
  type RenderedCluster,
} from "./run.js";

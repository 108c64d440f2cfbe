/**
 * talconfig.yaml: the strict model, loading (env files, substitution, group merge) and the policy rules.
 */
export {
  loadTalconfig,
  substituteFileText,
  normalizeTalosVersion,
  fileRef,
  CODES as TALCONFIG_CODES,
  DEFAULT_ENV_FILES,
} from "./loader.js";
export type {
  LoadedTalconfig,
  LoadTalconfigOptions,
  PatchRef,
  ResolvedNode,
  SopsDecryptor,
  SourceMap,
} from "./types.js";
export {
  talconfigSchema,
  nodeSchema,
  nodeConfigsSchema,
  schematicSchema,
  talconfigJsonSchema,
  talconfigJsonSchemaText,
  DEPRECATED_KEYS,
  type Talconfig,
  type TalconfigNode,
  type NodeConfigs,
  type Schematic,
  type NetworkInterface,
} from "./schema.js";
export { mergeGroupIntoNode, type MergeOrigin, type MergedNodeConfigs } from "./merge.js";
export { substituteEnv, type SubstitutionProblem, type SubstitutionResult } from "./envsubst.js";
export { parseEnvFile } from "./env-files.js";
export { formatPath } from "./yaml-source.js";
export { outputFilename, DEFAULT_FILENAME_TMPL, type OutputFilenameData } from "./output-filename.js";
export {
  validateTalconfig,
  POLICY_RULES,
  BUILTIN_EXTENSIONS,
  BUNDLE_SECRET_PATHS,
  sopsEncryptsPath,
  kubernetesVersionFindings,
  loadTalformSettings,
  TALFORM_SETTINGS_FILE,
  nodeFacts,
  type NodeFacts,
  type PolicyContext,
  type PolicyRule,
  type SopsCreationRuleView,
  type TalformSettings,
} from "./policy/index.js";
export { runValidate, nodeFileAccess, type ValidateOptions } from "./validate-run.js";
export { buildReport, renderReportText, renderReportJson, type ValidateReport } from "./report.js";

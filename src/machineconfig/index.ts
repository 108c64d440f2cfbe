export {
  generateMachineConfig,
  type GenerateMachineConfigInput,
  type GenerateOptions,
  type MachineType,
} from "./generate.js";
export { renderMachineConfig, type RenderMachineConfigInput } from "./render.js";
export { encodeDocument, encodeDocuments, formatScalar, hasIndentationIndicator } from "./yaml/encode.js";
export {
  cloneNode,
  goMap,
  isYamlMap,
  RawScalar,
  struct,
  type YamlMap,
  type YamlNode,
  type YamlScalar,
} from "./yaml/node.js";
export {
  applyConfigPatches,
  loadConfigPatches,
  applyJsonPatch,
  applyStrategicPatch,
  documentId,
  documentKind,
  parseConfigPatch,
  toJsonPatch,
  type ConfigPatch,
  type JsonPatchOperation,
} from "./patch/index.js";
export { parseYamlDocuments, type ParsedDocuments } from "./yaml/parse.js";
export { canonicalize } from "./schema/canonical.js";
export { documentShape, type Shape } from "./schema/shape.js";
export {
  ADMIN_CERT_RENEW_BEFORE_MS,
  DEFAULT_ADMIN_CERT_TTL_MS,
  encodeTalosconfig,
  generateTalosconfig,
  parseTalosconfig,
  type GenerateTalosconfigInput,
  type ParseTalosconfigOptions,
  type GeneratedTalosconfig,
  type Talosconfig,
  type TalosconfigContext,
} from "./talosconfig.js";
export { decodeMachineConfig, decodeMachineDocuments, type DecodedMachineConfig } from "./decode.js";
export { validateMachineConfig, type ValidateOptions, type ValidationMode } from "./validate.js";
export {
  findV1Alpha1Conflicts,
  legacyValueIsSet,
  V1ALPHA1_CONFLICT_CODE,
  V1ALPHA1_CONFLICT_RULES,
  v1alpha1ConflictDiagnostics,
  valueAt,
  type LegacyValueTest,
  type V1Alpha1Conflict,
  type V1Alpha1ConflictRule,
} from "./v1alpha1-conflicts.js";

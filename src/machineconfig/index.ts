export { generateMachineConfig, type GenerateMachineConfigInput, type GenerateOptions, type MachineType } from "./generate.js";
export { encodeDocument, encodeDocuments, formatScalar } from "./yaml/encode.js";
export { cloneNode, goMap, isYamlMap, struct, type YamlMap, type YamlNode, type YamlScalar } from "./yaml/node.js";

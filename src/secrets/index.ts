export { parseSecretsBundle, type CertAndKeyPem, type SecretsBundle } from "./bundle.js";
export { CA_VALIDITY_MS, generateSecretsBundle, generateToken, type GenerateOptions } from "./generate.js";
export { serializeSecretsBundle, type SerializeOptions } from "./serialize.js";
export { validateSecretsBundle, type ValidateOptions } from "./validate.js";
export { writeSecretsFile, type WriteSecretsOptions, type WriteSecretsResult } from "./write.js";
export { chooseBundleVersion, describeBundleVersionChoice, type BundleVersionChoice } from "./version-choice.js";

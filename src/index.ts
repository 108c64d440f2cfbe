/**
 * talform as a library. Each pipeline stage has one public door (its folder's index.ts), re-exported here as a
 * namespace so stage vocabularies (`ValidateOptions`, …) never collide.
 */
export * from "./diagnostics/index.js";
export * from "./contract/index.js";
export { writeFileAtomic } from "./util/atomic-write.js";
export { runCli } from "./cli/program.js";
export { TALFORM_VERSION } from "./version.js";
export * as talconfig from "./talconfig/index.js";
export * as machineconfig from "./machineconfig/index.js";
export * as talosapi from "./talosapi/index.js";
export * as sim from "./sim/index.js";
export * as factory from "./factory/index.js";
export * as secrets from "./secrets/index.js";
export * as sops from "./sops/index.js";
export * as demo from "./cli/demo/index.js";
export * as doctor from "./doctor/index.js";
export * as plan from "./plan/index.js";
export * as rollout from "./rollout/index.js";
export * as ui from "./ui/index.js";
export * as genconfig from "./genconfig/index.js";

/**
 * talform as a library. Each pipeline stage has one public door (its folder's index.ts), re-exported here.
 */
export * from "./diagnostics/index.js";
export * from "./contract/index.js";
export { writeFileAtomic } from "./util/atomic-write.js";
export { runCli } from "./cli/program.js";
export { TALFORM_VERSION } from "./version.js";
export * from "./secrets/index.js";
export * as sops from "./sops/index.js";

export * from "./contract.js";
export * from "./versions.js";
export * from "./kubernetes.js";

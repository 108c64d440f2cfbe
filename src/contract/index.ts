export * from "./contract.js";
export * from "./versions.js";

export * from "./diagnostic.js";
export * from "./errors.js";

export * from "./pem.js";
export * from "./keys.js";
export * from "./certificates.js";

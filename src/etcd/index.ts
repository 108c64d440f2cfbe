export * from "./snapshot.js";
export * from "./quorum.js";
export * from "./ops.js";
export * from "./reset.js";
export * from "./recover.js";

export * from "./schematic.js";

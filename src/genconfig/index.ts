/**
 * genconfig: talconfig nodes → Talos machine configs, as `talhelper genconfig` renders them, on talform's
 * Talos-exact generator and patcher.
 */
export { renderNode, clusterOptions, type RenderContext, type RenderedNode, type TalosMode } from "./render-node.js";
export { nodeDocuments } from "./multidocs.js";
export { networkDocuments, selectorExpression } from "./network.js";
export { presetDocuments, presetPatches, type Preset } from "./presets.js";
export { executeTemplate, isTemplated, recordField, TemplateFieldError, type FieldResolver } from "./go-template.js";
export { configField, configTemplateData } from "./config-fields.js";

export * from "./schematic.js";
export * from "./urls.js";
export { EXTENSION_CATALOGUE, officialExtensions, type CatalogueEntry } from "./extensions.js";
export {
  GENCOMMAND_KINDS,
  generateCommands,
  nodeIpAddresses,
  renderCommands,
  type GencommandInput,
  type GencommandKind,
  type GencommandNode,
} from "./gencommand.js";
export { fetchSchematicIdOnline, type FetchLike, type OnlineSchematicId } from "./online.js";
export {
  genurlForNodes,
  genurlFromFlags,
  schematicFromFlags,
  type GenurlFlags,
  type GenurlKind,
  type GenurlNode,
  type GenurlOptions,
} from "./genurl.js";
export { schematicDiagnostics, type SchematicCheckContext } from "./validate.js";
export {
  factoryViewFromTalconfig,
  gencommandInputFromView,
  substitutedTalconfigText,
  talconfigSchematicDiagnostics,
  type TalconfigFactoryNode,
  type TalconfigFactoryView,
} from "./from-talconfig.js";
export {
  ensureSchematicRegistered,
  factoryEndpoint,
  installerImageKnown,
  type FactoryEndpoint,
  type FactoryHttp,
  type SchematicRegistration,
} from "./client.js";

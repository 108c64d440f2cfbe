export { migratePatchText, type MigratedPatch, type PatchScope } from "./patch.js";
export { TO_V1_14, type FieldDrop, type FieldMove, type ListToDocuments, type MigrationTarget } from "./rules.js";
export {
  migrateTalconfig,
  migrationTargetFor,
  type FileChange,
  type MigrateInput,
  type MigrateNote,
  type MigrateResult,
} from "./talconfig.js";
export { formatMigration } from "./view.js";

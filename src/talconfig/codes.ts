/** Model finding codes (policy rules have named codes instead; see docs/validate.md). */
export const CODES = {
  yamlSyntax: "TF1001",
  duplicateKey: "TF1002",
  unknownKey: "TF1003",
  invalidValue: "TF1004",
  missingKey: "TF1005",
  duplicateNode: "TF1007",
  deprecatedKey: "TF1008",
  envUnset: "TF1010",
  envFile: "TF1011",
  unreadableFile: "TF1012",
  missingFileRef: "TF1013",
} as const;

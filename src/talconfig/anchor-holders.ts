import { isAlias, isMap, isScalar, visit, type Document } from "yaml";
import type { Diagnostic } from "../diagnostics/index.js";
import { CODES } from "./codes.js";
import type { YamlSource } from "./yaml-source.js";

/**
 * Top-level keys that talconfig does not know but whose value only carries a YAML anchor used elsewhere
 * (`schematic: &ext {…}` beside `nodes: [{schematic: *ext}]`). talhelper decodes without known-field checks, so the
 * key is ignored there and the aliases still expand; it changes nothing in the rendered configs. Such a key is a
 * warning, not an unknown-key error (a typo or a mis-indented key has no anchor that an alias uses). Returns the keys,
 * so the caller can leave them out of the schema check.
 */
export function anchorHolderKeys(
  doc: Document,
  knownTopLevel: readonly string[],
  src: YamlSource,
  diagnostics: Diagnostic[],
): string[] {
  if (!isMap(doc.contents)) return [];
  const used = new Set<string>();
  visit(doc, {
    Alias(_key, node) {
      used.add(node.source);
    },
  });
  const holders: string[] = [];
  for (const pair of doc.contents.items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== "string") continue;
    const key = pair.key.value;
    const value = pair.value as { anchor?: string } | null;
    if (knownTopLevel.includes(key) || isAlias(value) || !value?.anchor || !used.has(value.anchor)) continue;
    holders.push(key);
    diagnostics.push({
      severity: "warning",
      code: CODES.unknownKey,
      message: `"${key}" is not a talconfig key; it only holds the YAML anchor &${value.anchor} used elsewhere, so it is ignored (as talhelper does) and only its aliases take effect`,
      hint: `nothing to do if that is intended; otherwise move the anchor onto a key that talconfig uses`,
      path: key,
      source: src.positionOf([key], true),
    });
  }
  return holders;
}

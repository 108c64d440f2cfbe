import { parse as parseYaml } from "yaml";
import { literalBlockString } from "./literal-block.js";

/**
 * A COSI resource's `yaml_spec` as a value, what `yaml.parse` makes of it. Reading a fleet asks every node for the
 * same few resources, and their specs are mostly the same text on every node (a running node's MachineStatus, the
 * extensions a fleet shares), while each parse costs eemeli/yaml's whole pipeline (~0.1–0.5 ms): parsed specs are
 * kept by text and handed out as copies (a caller may change its value). A string spec written as a literal block (a
 * MachineConfig, ~10 KiB) is read without a parser.
 */
export function readYamlSpec(text: string): unknown {
  const literal = literalBlockString(text);
  if (literal !== undefined) return literal;
  if (text.length > SMALL_SPEC_CHARS) return parseYaml(text);
  let known = parsedSpecs.get(text);
  if (!known) {
    known = { value: parseYaml(text) as unknown };
    if (parsedSpecs.size >= PARSED_SPECS_MAX) parsedSpecs.clear();
    parsedSpecs.set(text, known);
  }
  return typeof known.value === "object" && known.value !== null ? structuredClone(known.value) : known.value;
}

const parsedSpecs = new Map<string, { value: unknown }>();
const PARSED_SPECS_MAX = 1024;
// Status-like specs are a few hundred characters; larger ones are rarely repeated and are not kept.
const SMALL_SPEC_CHARS = 4096;

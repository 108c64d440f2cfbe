// The YAML spec of a simulated COSI resource, as the simulator sends it in `yaml_spec`.
import { stringify } from "yaml";

/**
 * A spec as YAML. A string spec (a MachineConfig: the config text) is written as a literal block, as Talos's yaml.v3
 * writes a multi-line string (eemeli/yaml would fold its long lines), and kept: the same ~10 KiB config is sent on
 * every read of the node's MachineConfigs. Other specs are built afresh per read but mostly repeat (every running
 * node's MachineStatus, a fleet's extension statuses): their YAML is kept by the spec's JSON, which is ~20x cheaper
 * to make than the YAML (stringify was ~9 % of the simulator's CPU while a plan read 1,000 nodes).
 */
export function yamlSpecOf(spec: unknown): string {
  if (typeof spec === "string") return remember(stringSpecs, spec, () => stringify(spec, { blockQuote: "literal" }));
  const key = plainJson(spec);
  return key === undefined ? stringify(spec) : remember(objectSpecs, key, () => stringify(spec));
}

function remember(known: Map<string, string>, key: string, make: () => string): string {
  let yaml = known.get(key);
  if (yaml === undefined) {
    yaml = make();
    if (known.size >= KNOWN_SPECS_MAX) known.clear();
    known.set(key, yaml);
  }
  return yaml;
}

/**
 * The JSON of a value made of plain objects, arrays, strings, finite numbers, booleans and null — values whose JSON
 * tells them apart exactly as their YAML does; undefined for anything else (NaN, a Uint8Array, undefined in a list…).
 */
function plainJson(value: unknown): string | undefined {
  let plain = true;
  const json = JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const original = this[key];
    if (original !== v)
      plain = false; // a toJSON (a Date, a Buffer) stood in for the value
    else if (v === undefined) {
      if (Array.isArray(this)) plain = false;
    } else if (typeof v === "number") {
      if (!Number.isFinite(v) || Object.is(v, -0)) plain = false;
    } else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) plain = false;
    } else if (typeof v === "bigint" || typeof v === "function" || typeof v === "symbol") plain = false;
    return plain ? v : undefined;
  });
  return plain ? json : undefined;
}

const stringSpecs = new Map<string, string>();
const objectSpecs = new Map<string, string>();
// Two configs per node (active, saved) for a fleet of 1,000 nodes, and some history; as many other specs.
const KNOWN_SPECS_MAX = 4096;

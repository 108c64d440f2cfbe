import { documentShape, isYamlMap, type Shape, type YamlNode } from "../machineconfig/index.js";
import { GoTemplateError, type FieldResolver } from "../util/go-template.js";

/**
 * Go-field-name access to a v1alpha1 document for talhelper templates, whose data is Talos's `*v1alpha1.Config`
 * (`.MachineConfig.MachineInstall.InstallImage`). talform holds YAML, not Go structs, so a Go field name is matched
 * to the YAML field of the same struct: exact (case-insensitive), `<YAML>Config` (`MachineConfig` → `machine`),
 * a prefixed name (`MachineInstall` → `install`, `NetworkHostname` → `hostname`) or a singular form
 * (`ServiceSubnet` → `serviceSubnets`). A name that matches no field is an error, as in Go.
 */

interface Cursor {
  readonly node: YamlNode | undefined;
  readonly shape: Shape;
}

const isCursor = (v: unknown): v is Cursor =>
  typeof v === "object" && v !== null && "shape" in v && !Array.isArray(v) && !(v instanceof Map);

/** Template data for a v1alpha1 document. */
export function configTemplateData(v1alpha1: YamlNode): unknown {
  const shape = documentShape("v1alpha1");
  if (!shape) throw new Error("v1alpha1 shape missing");
  return { node: v1alpha1, shape } satisfies Cursor;
}

function deref(shape: Shape): Shape {
  return shape.k === "ptr" ? deref(shape.elem) : shape;
}

/** Plain value of a cursor (scalars, lists and maps as YAML data, zero values for absent fields). */
function plain(c: Cursor): unknown {
  const s = deref(c.shape);
  if (s.k === "scalar") return c.node ?? (s.go === "string" ? "" : s.go === "bool" ? false : 0);
  if (s.k === "list") return Array.isArray(c.node) ? (c.node as YamlNode[]).map((n) => wrap(n, s.elem)) : [];
  if (s.k === "map") return isYamlMap(c.node) ? new Map([...c.node].map(([k, v]) => [k, wrap(v, s.elem)])) : new Map();
  if (s.k === "opaque" || s.k === "unstructured") return c.node ?? null;
  return c;
}

function wrap(node: YamlNode | undefined, shape: Shape): unknown {
  return plain({ node, shape });
}

function matchField(fields: readonly { name: string }[], goName: string): string | undefined {
  const g = goName.toLowerCase();
  const exact = fields.find((f) => f.name.toLowerCase() === g);
  if (exact) return exact.name;
  const candidates = fields
    .map((f) => f.name)
    .filter((n) => {
      const y = n.toLowerCase();
      const single = y.endsWith("s") ? y.slice(0, -1) : y;
      return g === `${y}config` || g.endsWith(y) || g === single || g.endsWith(single);
    })
    .sort((a, b) => b.length - a.length);
  return candidates[0];
}

export const configField: FieldResolver = (value, name) => {
  if (value instanceof Map) return value.get(name);
  if (!isCursor(value)) throw new GoTemplateError(`can't evaluate field ${name} in type ${typeof value}`);
  const s = deref(value.shape);
  if (s.k !== "struct") throw new GoTemplateError(`can't evaluate field ${name}: not a struct`);
  const yamlName = matchField(s.fields, name);
  if (!yamlName) throw new GoTemplateError(`can't evaluate field ${name} in type ${s.type}`);
  const field = s.fields.find((f) => f.name === yamlName)!;
  const node = isYamlMap(value.node) ? value.node.get(yamlName) : undefined;
  return wrap(node, field.shape());
};

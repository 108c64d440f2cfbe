import type { z } from "zod";
import type { DocPath } from "./yaml-source.js";

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  in?: z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Strips optional/default/nullable/pipe wrappers. */
function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const d = defOf(cur);
    if (
      (d.type === "optional" || d.type === "nullable" || d.type === "default" || d.type === "readonly") &&
      d.innerType
    )
      cur = d.innerType;
    else if (d.type === "pipe" && d.in) cur = d.in;
    else break;
  }
  return cur;
}

/** The object keys the schema allows at `path` (for "did you mean" suggestions); [] when not an object. */
export function knownKeysAt(schema: z.ZodType, path: DocPath): string[] {
  let cur: z.ZodType | undefined = unwrap(schema);
  for (const seg of path) {
    if (!cur) return [];
    const d = defOf(cur);
    if (d.type === "object" && typeof seg === "string") cur = d.shape?.[seg];
    else if (d.type === "array") cur = d.element;
    else if (d.type === "record") cur = d.valueType;
    else return [];
    cur = cur ? unwrap(cur) : undefined;
  }
  if (!cur) return [];
  const d = defOf(cur);
  return d.type === "object" && d.shape ? Object.keys(d.shape) : [];
}

/**
 * The patch types kube-apiserver accepts, by content type. Hand-written: these are small, well-specified
 * algorithms (RFC 7386, RFC 6902) and the simulator needs their exact error behaviour (a failed `test` or a missing
 * path is a 422 from the API server, not an exception).
 */
export const PATCH_TYPES = [
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/json-patch+json",
  "application/apply-patch+yaml",
  "application/apply-patch+cbor",
] as const;

export class PatchError extends Error {}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === "object" && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Strategic merge patch for the fields the simulator's objects have: maps merge like a merge patch; lists of
 * objects with a merge key (`name` for containers, `key` for taints, `type` for conditions/addresses) merge by it.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch) && Array.isArray(target)) {
    const key = ["name", "key", "type"].find(
      (k) =>
        patch.every((p) => isMap(p) && typeof p[k] === "string") &&
        target.every((t) => isMap(t) && typeof t[k] === "string"),
    );
    if (!key || patch.length === 0) return patch;
    const out = [...target] as Record<string, unknown>[];
    for (const p of patch as Record<string, unknown>[]) {
      const i = out.findIndex((t) => t[key] === p[key]);
      if (p["$patch"] === "delete") {
        if (i >= 0) out.splice(i, 1);
      } else if (i >= 0) out[i] = strategicMergePatch(out[i], p) as Record<string, unknown>;
      else out.push(p);
    }
    return out;
  }
  if (!isMap(patch)) return patch;
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError("a JSON patch must be a list of operations");
  let doc = structuredClone(target);
  for (const op of ops as { op?: string; path?: string; from?: string; value?: unknown }[]) {
    const path = pointer(op.path);
    switch (op.op) {
      case "add":
        doc = put(doc, path, structuredClone(op.value), "add");
        break;
      case "replace":
        doc = put(doc, path, structuredClone(op.value), "replace");
        break;
      case "remove":
        doc = remove(doc, path);
        break;
      case "test":
        if (JSON.stringify(read(doc, path)) !== JSON.stringify(op.value))
          throw new PatchError(`testing value ${op.path} failed`);
        break;
      case "copy":
        doc = put(doc, path, structuredClone(read(doc, pointer(op.from))), "add");
        break;
      case "move": {
        const v = read(doc, pointer(op.from));
        doc = put(remove(doc, pointer(op.from)), path, v, "add");
        break;
      }
      default:
        throw new PatchError(`unexpected JSON patch operation "${String(op.op)}"`);
    }
  }
  return doc;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function pointer(p: string | undefined): string[] {
  if (p === undefined) throw new PatchError("a JSON patch operation needs a path");
  if (p === "") return [];
  if (!p.startsWith("/")) throw new PatchError(`invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function read(doc: unknown, path: readonly string[]): unknown {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isMap(cur) && seg in cur) cur = cur[seg];
    else throw new PatchError(`doc is missing path: /${path.join("/")}`);
  }
  return cur;
}

function put(doc: unknown, path: readonly string[], value: unknown, mode: "add" | "replace"): unknown {
  if (path.length === 0) return value;
  const parent = read(doc, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const i = last === "-" ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (mode === "replace" && i >= parent.length))
      throw new PatchError(`index out of range: /${path.join("/")}`);
    if (mode === "add") parent.splice(i, 0, value);
    else parent[i] = value;
  } else if (isMap(parent)) {
    if (mode === "replace" && !(last in parent)) throw new PatchError(`doc is missing key: /${path.join("/")}`);
    parent[last] = value;
  } else throw new PatchError(`doc is missing path: /${path.join("/")}`);
  return doc;
}

function remove(doc: unknown, path: readonly string[]): unknown {
  const parent = read(doc, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isMap(parent) && last in parent) delete parent[last];
  else throw new PatchError(`unable to remove nonexistent key: /${path.join("/")}`);
  return doc;
}

import { dirname, resolve } from "node:path";
import { isMap, isScalar, isSeq, parseDocument, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import type { TalosContract } from "../contract/index.js";
import { TalformError } from "../diagnostics/index.js";
import { migratePatchText, type PatchScope } from "./patch.js";
import { TO_V1_14, type MigrationTarget } from "./rules.js";

/**
 * `talform migrate`: rewrites a talconfig's inline and `@file` patches for a newer Talos (the legacy fields the target
 * moved into documents become patches of those documents) and sets `talosVersion` to the target. Pure: files are
 * read through `readFile`, and the result is the new text of every changed file — the caller shows it as a diff or
 * writes it. The talconfig is edited in place in its text (only the patch entries and `talosVersion` change), so its
 * comments and layout stay exactly as they were.
 */
export interface MigrateInput {
  /** Absolute path of talconfig.yaml. */
  readonly path: string;
  readonly target: TalosContract;
  readonly readFile: (path: string) => Promise<string>;
}

export interface FileChange {
  readonly path: string;
  readonly before: string;
  readonly after: string;
}

export interface MigrateNote {
  /** The patch entry (`patches[0]`, `nodes[1].patches[0]`, `@./kubelet.yaml`) or `talosVersion`. */
  readonly where: string;
  readonly text: string;
}

export interface MigrateResult {
  readonly changes: readonly FileChange[];
  readonly notes: readonly MigrateNote[];
}

/** The rules for a target contract; undefined when the target moves nothing (the contract table decides). */
export function migrationTargetFor(contract: TalosContract): MigrationTarget | undefined {
  return contract.multidocKubernetesConfigSupported() ? TO_V1_14 : undefined;
}

interface PatchEntry {
  readonly where: string;
  readonly scope: PatchScope;
  readonly node: Scalar;
}

/** Every patch entry of the talconfig with the machines it applies to. */
function patchEntries(root: YAMLMap): PatchEntry[] {
  const out: PatchEntry[] = [];
  const list = (seq: unknown, where: string, scope: PatchScope) => {
    if (!isSeq(seq)) return;
    seq.items.forEach((item, i) => {
      if (isScalar(item) && typeof item.value === "string") out.push({ where: `${where}[${i}]`, scope, node: item });
    });
  };
  list(root.get("patches"), "patches", "all");
  const group = (name: string, scope: PatchScope) => {
    const g = root.get(name);
    if (isMap(g)) list(g.get("patches"), `${name}.patches`, scope);
  };
  group("controlPlane", "controlplane");
  group("worker", "worker");
  const nodes = root.get("nodes");
  if (isSeq(nodes)) {
    nodes.items.forEach((n, i) => {
      if (!isMap(n)) return;
      const cp = n.get("controlPlane");
      list(n.get("patches"), `nodes[${i}].patches`, cp === true || cp === "true" ? "controlplane" : "worker");
    });
  }
  return out;
}

/** A replacement of `[start, end)` of the talconfig text. */
interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export async function migrateTalconfig(input: MigrateInput): Promise<MigrateResult> {
  const target = migrationTargetFor(input.target);
  if (!target) {
    throw new TalformError(`nothing to migrate to for Talos ${input.target.name}`, {
      code: "migrate-target",
      hint: "talform migrate rewrites patches for Talos 1.14 and newer (--to v1.14)",
    });
  }
  const text = await input.readFile(input.path);
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    throw new TalformError(`${input.path} is not a YAML mapping`, {
      code: "migrate-input",
      hint: "fix it first (talform validate)",
    });
  }
  const root = doc.contents;
  const notes: MigrateNote[] = [];
  const splices: Splice[] = [];
  const changes: FileChange[] = [];
  const controlPlaneAdditions: Addition[] = [];
  const entries = patchEntries(root);

  // A patch file may be listed in several places: it is rewritten once, for the widest scope that lists it.
  const fileScopes = new Map<string, PatchScope>();
  for (const e of entries) {
    const ref = String(e.node.value);
    if (!ref.startsWith("@")) continue;
    const file = resolve(dirname(input.path), ref.slice(1));
    const had = fileScopes.get(file);
    fileScopes.set(file, had === undefined || had === e.scope ? e.scope : "all");
  }

  for (const e of entries) {
    const ref = String(e.node.value);
    if (ref.startsWith("@")) continue;
    const r = migratePatchText(ref, e.scope, target);
    for (const n of r.notes) notes.push({ where: e.where, text: n });
    if (r.text === undefined) continue;
    const removal = r.text === "" ? removeEntry(text, e.node) : undefined;
    if (r.controlPlaneText !== undefined)
      controlPlaneAdditions.push({ from: e.where, text: r.controlPlaneText, comments: removal?.comments ?? [] });
    splices.push(removal ?? replaceScalar(text, e.node, keepChomping(ref, r.text)));
  }

  for (const [file, scope] of fileScopes) {
    const where = `@${file}`;
    let before: string;
    try {
      before = await input.readFile(file);
    } catch {
      notes.push({ where, text: "not migrated: cannot read the file" });
      continue;
    }
    if (/^sops:\s*$/m.test(before)) {
      notes.push({
        where,
        text: "not migrated: SOPS-encrypted (decrypt it with talform sops edit, migrate, encrypt again)",
      });
      continue;
    }
    const r = migratePatchText(before, scope, target);
    for (const n of r.notes) notes.push({ where, text: n });
    if (r.controlPlaneText !== undefined)
      controlPlaneAdditions.push({ from: where, text: r.controlPlaneText, comments: [] });
    if (r.text !== undefined) changes.push({ path: file, before, after: r.text });
  }

  if (controlPlaneAdditions.length > 0) splices.push(addControlPlanePatches(text, root, controlPlaneAdditions));
  const version: unknown = root.get("talosVersion", true);
  const latest = input.target.facts?.latestPatch ?? `${input.target.name}.0`;
  if (isScalar(version) && typeof version.value === "string") {
    const current = String(version.value);
    if (current.includes("${")) {
      notes.push({
        where: "talosVersion",
        text: `set by a variable (${current}): set it to ${latest} where the variable is defined`,
      });
    } else if (!sameOrNewerMinor(current, input.target)) {
      splices.push({ start: version.range![0], end: version.range![1], text: latest });
      notes.push({ where: "talosVersion", text: `${current} → ${latest}` });
    }
  } else {
    splices.push(appendTopLevel(text, `talosVersion: ${latest}\n`));
    notes.push({ where: "talosVersion", text: `(talhelper's default) → ${latest}` });
  }

  const after = applySplices(text, splices);
  if (after !== text) changes.unshift({ path: input.path, before: text, after });
  return { changes, notes };
}

function sameOrNewerMinor(version: string, target: TalosContract): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  // The order of minors is the contract's: a version is "there" when its contract is not older than the target.
  return !target.greater(Number(m[1]), Number(m[2]));
}

/** A `|-` patch stays `|-`: no trailing newline is added to a value that had none. */
function keepChomping(before: string, after: string): string {
  return before.endsWith("\n") ? after : after.replace(/\n+$/, "");
}

const lineStart = (text: string, offset: number): number => text.lastIndexOf("\n", offset - 1) + 1;
const indentAt = (text: string, offset: number): number => offset - lineStart(text, offset);

/** Replaces a patch entry's scalar with a literal block scalar holding `value`, indented under its `- `. */
function replaceScalar(text: string, node: Scalar, value: string): Splice {
  // range[1] is the end of the value: after a block scalar's last line break, before a flow scalar's comment.
  const [start, end] = node.range!;
  const indent = " ".repeat(indentAt(text, start)); // the column after "- "
  const chomp = value.endsWith("\n") ? "" : "-";
  const body = value
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => (l === "" ? "" : indent + l))
    .join("\n");
  const tail = node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED" ? "\n" : "";
  return { start, end, text: `|${chomp}\n${body}${tail}` };
}

/**
 * Removes a list entry whose whole content moved elsewhere (`- ` through the end of its scalar), with the comment
 * lines right above it, which are returned so that they can go with the content.
 */
function removeEntry(text: string, node: Scalar): Splice & { comments: string[] } {
  const [start, , end] = node.range!;
  let from = lineStart(text, start);
  const comments: string[] = [];
  for (
    let prev = lineStart(text, from - 1);
    from > 0 && /^\s*#/.test(text.slice(prev, from - 1));
    prev = lineStart(text, from - 1)
  ) {
    comments.unshift(text.slice(prev, from - 1).trim());
    from = prev;
  }
  const to = text[end - 1] === "\n" ? end : text.indexOf("\n", end) + 1 || text.length;
  return { start: from, end: to, text: "", comments };
}

interface Addition {
  readonly from: string;
  readonly text: string;
  /** Comment lines (with `#`) that were written above the entry the documents came from. */
  readonly comments: readonly string[];
}

/** Adds the control-plane-only documents split out of shared patches as new `controlPlane.patches` entries. */
function addControlPlanePatches(text: string, root: YAMLMap, additions: readonly Addition[]): Splice {
  const group = root.get("controlPlane", true);
  const seq = isMap(group) ? (group.get("patches", true) as YAMLSeq | undefined) : undefined;
  const entry = (indent: number) =>
    additions
      .map((a) => {
        const pad = " ".repeat(indent);
        const body = a.text
          .replace(/\n$/, "")
          .split("\n")
          .map((l) => (l === "" ? "" : `${pad}  ${l}`))
          .join("\n");
        const comments = a.comments.map((c) => `${pad}${c}\n`).join("");
        return `${comments}${pad}# moved here by talform migrate from ${a.from}: Talos accepts these documents on control planes only\n${pad}- |-\n${body}\n`;
      })
      .join("");
  if (isSeq(seq) && seq.items.length > 0 && seq.flow !== true) {
    const first = seq.items[0] as Scalar;
    const indent = indentAt(text, first.range![0]) - 2;
    const end = seq.range![2];
    const at = text[end - 1] === "\n" ? end : text.indexOf("\n", end) + 1 || text.length;
    return { start: at, end: at, text: entry(indent) };
  }
  if (isMap(group) && !group.has("patches") && group.flow !== true) {
    const first = group.items[0]?.key as Scalar | undefined;
    const indent = first?.range ? indentAt(text, first.range[0]) : 2;
    const end = group.range![2];
    const at = text[end - 1] === "\n" ? end : text.indexOf("\n", end) + 1 || text.length;
    return { start: at, end: at, text: `${" ".repeat(indent)}patches:\n${entry(indent + 2)}` };
  }
  if (!group) return appendTopLevel(text, `controlPlane:\n  patches:\n${entry(4)}`);
  throw new TalformError("cannot add the control-plane patches: controlPlane.patches is written in flow style", {
    code: "migrate-input",
    hint: "write controlPlane.patches as a block list (one `- ` per line) and run talform migrate again",
  });
}

function appendTopLevel(text: string, block: string): Splice {
  const at = text.length;
  return { start: at, end: at, text: `${text.endsWith("\n") || text === "" ? "" : "\n"}${block}` };
}

function applySplices(text: string, splices: readonly Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.start - a.start || b.end - a.end))
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

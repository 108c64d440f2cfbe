import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  documentId,
  encodeDocument,
  isYamlMap,
  parseYamlDocuments,
  type YamlMap,
  type YamlNode,
} from "../machineconfig/index.js";
import { mapBounded } from "../util/map-bounded.js";
import { sha256 } from "./cluster.js";

export interface OutputFile {
  readonly name: string;
  readonly text: string;
  readonly mode: number;
}

/** Files staged (written and synced) at once: enough to overlap the fsyncs of a 1,000-node output, few descriptors. */
const WRITE_CONCURRENCY = 16;

/**
 * Writes every file or none: all contents go to temp files in the output folder first (0600 from the first byte);
 * only when every temp file is written and synced are they renamed over their targets. A failure before the renames
 * removes the temp files and leaves the folder as it was. Files are staged several at a time: each waits for its
 * fsync, and one at a time that wait dominated genconfig on large clusters.
 */
export async function writeAllOrNothing(dir: string, files: readonly OutputFile[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const staged: { tmp: string; path: string }[] = [];
  let failure: { error: unknown } | undefined;
  // One random tag per run and a counter ("wx" refuses a leftover anyway): a random draw per file cost ~13 µs.
  const tag = randomBytes(6).toString("hex");
  let count = 0;
  // A file created 0600 has that mode unless the umask takes owner bits away: then, and for other modes, chmod (a
  // chmod per file was ~12 ms of a 200-node genconfig). Reading the umask sets it twice; nothing of this process
  // creates files meanwhile (the folder is made first; a file created in that instant would miss the umask).
  const createdMode = 0o600 & ~process.umask();
  await mapBounded(files, WRITE_CONCURRENCY, async (f) => {
    if (failure) return;
    const tmp = join(dir, `.${f.name}.${tag}${(count++).toString(36)}.tmp`);
    staged.push({ tmp, path: join(dir, f.name) });
    try {
      const handle = await open(tmp, "wx", 0o600);
      try {
        await handle.writeFile(f.text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (f.mode !== createdMode) await chmod(tmp, f.mode);
    } catch (error) {
      failure ??= { error };
    }
  });
  if (failure) {
    await Promise.all(staged.map((s) => rm(s.tmp, { force: true })));
    throw failure.error;
  }
  await mapBounded(staged, WRITE_CONCURRENCY, (s) => rename(s.tmp, s.path));
}

/** `.gitignore` of the output folder: the existing lines plus every generated file not listed yet (talhelper). */
export function gitignoreText(existing: string | undefined, names: readonly string[]): string {
  const lines = (existing ?? "").split("\n").filter((l, i, all) => !(l === "" && i === all.length - 1));
  const listed = new Set(lines.map((l) => l.trim().replace(/^\//, "")));
  for (const n of names) if (!listed.has(n)) lines.push(n);
  return `${lines.join("\n")}\n`;
}

// ---- dry run -----------------------------------------------------------------------------------------------------

const SECRET_KEY =
  /(?:^|[a-z])(?:key|token|secret|passphrase|password|privateKey|clusterSecret|secretboxEncryptionSecret|aescbcEncryptionSecret)$/i;
const PUBLIC_KEYS = new Set(["publicKey", "publicKeys"]);

/** Replaces secret values by a short digest, so a diff shows that a secret changed without showing it. */
export function redact(node: YamlNode, key = ""): YamlNode {
  if (isYamlMap(node)) return new Map([...node].map(([k, v]) => [k, redact(v, k)]));
  if (Array.isArray(node)) return (node as YamlNode[]).map((v) => redact(v, key));
  if (
    typeof node === "string" &&
    node !== "" &&
    ((SECRET_KEY.test(key) && !PUBLIC_KEYS.has(key)) || /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(node))
  ) {
    return `<redacted sha256:${sha256(node).slice(0, 12)}>`;
  }
  return node;
}

function documentsById(text: string | undefined): Map<string, YamlMap> {
  const out = new Map<string, YamlMap>();
  if (text === undefined) return out;
  for (const d of parseYamlDocuments(text).documents) if (isYamlMap(d)) out.set(documentId(d), d);
  return out;
}

/** Line diff (longest common subsequence), unified-style lines without hunk headers. */
export function lineDiff(a: readonly string[], b: readonly string[], context = 2): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: [" " | "-" | "+", string][] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push([" ", a[i]!]);
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push(["-", a[i++]!]);
    else ops.push(["+", b[j++]!]);
  }
  const keep = ops.map((_, k) => ops.slice(Math.max(0, k - context), k + context + 1).some(([op]) => op !== " "));
  const out: string[] = [];
  ops.forEach(([op, line], k) => {
    if (keep[k]) out.push(`${op}${line}`);
    else if (k > 0 && keep[k - 1]) out.push(" …");
  });
  return out;
}

/** Per-document diff of one generated file against the existing one, secrets redacted. Empty: no changes. */
export function documentDiffs(existing: string | undefined, generated: string): { id: string; lines: string[] }[] {
  const before = documentsById(existing);
  const after = documentsById(generated);
  const out: { id: string; lines: string[] }[] = [];
  const lines = (d: YamlMap | undefined) =>
    d
      ? encodeDocument(redact(d) as YamlMap)
          .replace(/\n$/, "")
          .split("\n")
      : [];
  for (const id of new Set([...after.keys(), ...before.keys()])) {
    const a = before.get(id);
    const b = after.get(id);
    const la = lines(a);
    const lb = lines(b);
    if (la.join("\n") === lb.join("\n")) continue;
    out.push({
      id: a === undefined ? `${id} (new)` : b === undefined ? `${id} (removed)` : id,
      lines: lineDiff(la, lb),
    });
  }
  return out;
}

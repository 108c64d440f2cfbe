import { createHash } from "node:crypto";
import { parseAllDocuments } from "yaml";
import { isYamlMap, RawScalar, type YamlMap, type YamlNode } from "../machineconfig/index.js";

/**
 * A machine configuration as documents keyed by identity (`v1alpha1`, `HostnameConfig`, `UserVolumeConfig/data`),
 * so two configs compare semantically: key order, comments and document order do not matter.
 */
export type ConfigDocuments = ReadonlyMap<string, Record<string, unknown>>;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function parseConfigDocuments(text: string): ConfigDocuments {
  const hit = parsed.get(text);
  if (hit) return hit;
  const docs = parseConfigText(text);
  for (const body of docs.values()) deepFreeze(body);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(text, docs);
  return docs;
}

/**
 * Records what `text` parses to from the documents it was encoded from (genconfig's render, `GeneratedFile.documents`),
 * so planning does not parse the configs it has just rendered. The encoder's text parses back to those documents
 * (roundtrip.property.test.ts pins that this conversion equals parsing the text); documents with a verbatim scalar
 * (`RawScalar`, e.g. `!!int 0o644`), whose meaning only a YAML reader decides, are left to be parsed.
 */
export function rememberRenderedConfig(text: string, documents: readonly YamlMap[]): void {
  if (parsed.has(text)) return;
  const docs = renderedConfigDocuments(documents);
  if (!docs) return;
  for (const body of docs.values()) deepFreeze(body);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(text, docs);
}

/** What parsing the encoded text of `documents` gives (undefined: only a YAML reader can tell). */
export function renderedConfigDocuments(documents: readonly YamlMap[]): ConfigDocuments | undefined {
  const out = new Map<string, Record<string, unknown>>();
  for (const doc of documents) {
    const body = plainData(doc) as Record<string, unknown> | undefined;
    if (body === undefined) return undefined;
    out.set(documentKey(body), body);
  }
  return out;
}

/** The plain data a YAML reader makes of an encoded node (undefined: it holds a RawScalar). */
function plainData(node: YamlNode): unknown {
  if (node instanceof RawScalar) return undefined;
  if (Array.isArray(node)) {
    const items: unknown[] = [];
    for (const item of node as readonly YamlNode[]) {
      const v = plainData(item);
      if (v === undefined) return undefined;
      items.push(v);
    }
    return items;
  }
  if (isYamlMap(node)) {
    const obj: Record<string, unknown> = {};
    for (const [k, item] of node) {
      const v = plainData(item);
      if (v === undefined) return undefined;
      Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return obj;
  }
  return node;
}

// A plan parses each config several times: the desired one to read its installer and to digest it, the node's
// (mostly the same text) to digest and compare it. Parsed configs are kept by text, frozen, as they are shared.
const parsed = new Map<string, ConfigDocuments>();
// Enough for a plan of 1,000 nodes: their desired configs and the nodes' (mostly the same texts).
const PARSED_MAX = 2048;

function deepFreeze(v: unknown): void {
  if (typeof v !== "object" || v === null || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const child of Object.values(v)) deepFreeze(child);
}

function parseConfigText(text: string): ConfigDocuments {
  const out = new Map<string, Record<string, unknown>>();
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid machine config YAML: ${doc.errors[0]!.message}`);
    const body = doc.toJS() as unknown;
    if (body === null || body === undefined) continue;
    if (!isMap(body)) throw new Error("invalid machine config: each document must be a mapping");
    out.set(documentKey(body), body);
  }
  return out;
}

export function documentKey(body: Record<string, unknown>): string {
  if (body["kind"] === undefined) return "v1alpha1";
  const name = typeof body["name"] === "string" ? body["name"] : undefined;
  return name ? `${String(body["kind"])}/${name}` : String(body["kind"]);
}

/** sha256 of the text, `sha256:<hex>`: what plans and the journal record instead of configs holding secrets. */
export function digestText(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/**
 * A digest of the config's meaning (canonical JSON of its documents, sorted by identity and key), so a config that
 * Talos re-serialised still has the digest of the text talform applied.
 */
export function configDigest(text: string): string {
  // The parsed documents are cached and frozen: their digest is too (a rollout compares every node's running config
  // with its desired one several times per node).
  const docs = parseConfigDocuments(text);
  let digest = digests.get(docs);
  if (digest === undefined) digests.set(docs, (digest = documentsDigest(docs)));
  return digest;
}

const digests = new WeakMap<ConfigDocuments, string>();

export function documentsDigest(docs: ConfigDocuments): string {
  return digestText(JSON.stringify([...docs.keys()].sort().map((k) => [k, canonical(docs.get(k))])));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isMap(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical(v[k])]),
    );
  return v;
}

function at(doc: Record<string, unknown> | undefined, path: readonly string[]): unknown {
  let cur: unknown = doc;
  for (const p of path) cur = isMap(cur) ? cur[p] : undefined;
  return cur;
}

/** The installer image a config names (`.machine.install.image`, or `UnattendedInstallConfig.installer.image` from 1.14). */
export function installerImageOf(docs: ConfigDocuments): string | undefined {
  const fromDoc = at(docs.get("UnattendedInstallConfig"), ["installer", "image"]);
  if (typeof fromDoc === "string") return fromDoc;
  const fromV1 = at(docs.get("v1alpha1"), ["machine", "install", "image"]);
  return typeof fromV1 === "string" ? fromV1 : undefined;
}

/** Where the Kubernetes component images live, in v1alpha1 (≤ 1.13) and in the `Kube*Config` documents (1.14). */
const KUBERNETES_IMAGE_PATHS: readonly (readonly [string, readonly string[]])[] = [
  ["v1alpha1", ["machine", "kubelet", "image"]],
  ["v1alpha1", ["cluster", "apiServer", "image"]],
  ["v1alpha1", ["cluster", "controllerManager", "image"]],
  ["v1alpha1", ["cluster", "scheduler", "image"]],
  ["v1alpha1", ["cluster", "proxy", "image"]],
  ["KubeletConfig", ["image"]],
  ["KubeAPIServerConfig", ["image"]],
  ["KubeControllerManagerConfig", ["image"]],
  ["KubeSchedulerConfig", ["image"]],
  ["KubeProxyConfig", ["image"]],
];

/** Every Kubernetes component image the config pins, as `document:path → image`. */
export function kubernetesImagesOf(docs: ConfigDocuments): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [doc, path] of KUBERNETES_IMAGE_PATHS) {
    const v = at(docs.get(doc), path);
    if (typeof v === "string") out[`${doc}:${path.join(".")}`] = v;
  }
  return out;
}

/** The kubelet version the config pins (`1.36.3`), from the kubelet image tag. */
export function kubeletVersionOf(docs: ConfigDocuments): string | undefined {
  const images = kubernetesImagesOf(docs);
  const kubelet = images["KubeletConfig:image"] ?? images["v1alpha1:machine.kubelet.image"];
  return kubelet ? imageTagVersion(kubelet) : undefined;
}

/** `registry/x:v1.36.3` → `1.36.3`. */
export function imageTagVersion(image: string): string | undefined {
  return /:v?(\d+\.\d+\.\d+[^@/]*)(?:@.*)?$/.exec(image)?.[1];
}

/** The same image reference with another tag (`…installer/<schematic>:v1.12.11` for an intermediate hop). */
export function withImageTag(image: string, tag: string): string {
  const m = /^(.*?)(:[^:/@]+)?(@.*)?$/.exec(image)!;
  return `${m[1]}:${tag}`;
}

import { X509Certificate } from "node:crypto";
import { TalformError } from "../diagnostics/index.js";
import { generateKeyPair, issueCertificate, systemPkiEnv, type PkiEnv } from "../pki/index.js";
import type { SecretsBundle } from "../secrets/bundle.js";
import { encodeDocument } from "./yaml/encode.js";
import { goMap, isYamlMap, struct, type YamlMap, type YamlNode } from "./yaml/node.js";
import { parseYamlDocuments } from "./yaml/parse.js";

/**
 * The talosctl client config (`talosconfig`): one context per cluster with endpoints (control-plane addresses),
 * nodes, the OS CA and an admin client certificate. On disk every PEM is base64-encoded, like talosctl writes it.
 */
export interface TalosconfigContext {
  readonly endpoints: readonly string[];
  readonly nodes?: readonly string[];
  /** PEM text (decoded from the base64 on disk). */
  readonly ca?: string;
  readonly crt?: string;
  readonly key?: string;
  readonly cluster?: string;
}

export interface Talosconfig {
  readonly context: string;
  readonly contexts: ReadonlyMap<string, TalosconfigContext>;
}

/** `constants.TalosAPIDefaultCertificateValidityDuration` (24 × 365 h). */
export const DEFAULT_ADMIN_CERT_TTL_MS = 365 * 24 * 3600 * 1000;
/** An existing admin certificate is kept unless it expires within this window. */
export const ADMIN_CERT_RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export interface GenerateTalosconfigInput {
  readonly bundle: SecretsBundle;
  readonly clusterName: string;
  /** Control-plane addresses (talosctl adds port 50000 when none is given). */
  readonly endpoints: readonly string[];
  /** All node addresses. */
  readonly nodes: readonly string[];
  /** Client certificate roles (subject O=), default `os:admin`. */
  readonly roles?: readonly string[];
  /** Validity of a new client certificate in milliseconds (default one year). */
  readonly ttlMs?: number;
  /** The current talosconfig; its valid client certificate for this cluster is kept. */
  readonly existing?: Talosconfig;
  /** Issue a new client certificate even when the existing one is still valid. */
  readonly regenerate?: boolean;
}

export interface GeneratedTalosconfig {
  readonly talosconfig: Talosconfig;
  readonly text: string;
  /** True when a new client certificate was issued. */
  readonly certificateIssued: boolean;
}

const VALID_ROLES = new Set([
  "os:admin",
  "os:operator",
  "os:reader",
  "os:etcd:backup",
  "os:image:verifier",
  "os:meta:writer",
  "os:impersonator",
]);

/** Is `crt` (PEM) issued by `caPem`, with these roles, valid beyond the renewal window at `now`? */
function reusableCertificate(
  ctx: TalosconfigContext | undefined,
  caPem: string,
  roles: readonly string[],
  now: Date,
): ctx is TalosconfigContext & { crt: string; key: string } {
  if (!ctx?.crt || !ctx.key) return false;
  try {
    const cert = new X509Certificate(ctx.crt);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (new Date(cert.validTo).getTime() - now.getTime() < ADMIN_CERT_RENEW_BEFORE_MS) return false;
    if (new Date(cert.validFrom).getTime() > now.getTime()) return false;
    const orgs = cert.subject
      .split("\n")
      .filter((l) => l.startsWith("O="))
      .map((l) => l.slice(2));
    return orgs.length === roles.length && orgs.every((o, i) => o === roles[i]);
  } catch {
    return false;
  }
}

export async function generateTalosconfig(
  input: GenerateTalosconfigInput,
  env: PkiEnv = systemPkiEnv,
): Promise<GeneratedTalosconfig> {
  const roles = input.roles ?? ["os:admin"];
  for (const role of roles) {
    if (!VALID_ROLES.has(role)) {
      throw new TalformError(`talosconfig: unknown role "${role}"`, {
        code: "talosconfig",
        hint: `use one of ${[...VALID_ROLES].join(", ")}`,
      });
    }
  }
  const now = env.now();
  const caPem = input.bundle.certs.os.crt;
  const previous = input.existing?.contexts.get(input.clusterName);
  let crt: string;
  let key: string;
  let certificateIssued = false;
  if (!input.regenerate && reusableCertificate(previous, caPem, roles, now)) {
    crt = previous.crt;
    key = previous.key;
  } else {
    const issued = await issueCertificate(
      input.bundle.certs.os,
      generateKeyPair("ed25519"),
      {
        organizations: roles,
        notBefore: now,
        notAfter: new Date(now.getTime() + (input.ttlMs ?? DEFAULT_ADMIN_CERT_TTL_MS)),
        keyUsages: ["digitalSignature"],
        extKeyUsages: ["clientAuth"],
      },
      env,
    );
    crt = issued.crt;
    key = issued.key;
    certificateIssued = true;
  }
  const contexts = new Map(input.existing?.contexts ?? []);
  contexts.set(input.clusterName, { endpoints: [...input.endpoints], nodes: [...input.nodes], ca: caPem, crt, key });
  const talosconfig: Talosconfig = { context: input.clusterName, contexts };
  return { talosconfig, text: encodeTalosconfig(talosconfig), certificateIssued };
}

const b64 = (pem: string | undefined): string | undefined =>
  pem ? Buffer.from(pem, "utf8").toString("base64") : undefined;

/** Serialises as talosctl does (Go struct order, contexts sorted, base64 PEM, empty endpoints as `[]`). */
export function encodeTalosconfig(config: Talosconfig): string {
  const contexts = new Map<string, YamlNode>();
  for (const [name, ctx] of config.contexts) {
    contexts.set(
      name,
      struct([
        ["endpoints", [...ctx.endpoints]],
        ["nodes", ctx.nodes && ctx.nodes.length > 0 ? [...ctx.nodes] : undefined],
        ["ca", b64(ctx.ca)],
        ["crt", b64(ctx.crt)],
        ["key", b64(ctx.key)],
        ["cluster", ctx.cluster || undefined],
      ]),
    );
  }
  return encodeDocument(
    struct([
      ["context", config.context],
      ["contexts", goMap(contexts)],
    ]),
  );
}

function err(message: string, source: string): TalformError {
  return new TalformError(`${source}: ${message}`, {
    code: "talosconfig",
    hint: "regenerate it with `talform genconfig` or fix the file",
  });
}

function stringList(v: YamlNode | undefined, where: string, source: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
    throw err(`${where} must be a list of strings`, source);
  return [...(v as string[])];
}

function pemField(ctx: YamlMap, field: string, where: string, source: string): string | undefined {
  const v = ctx.get(field);
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw err(`${where}.${field} must be a base64 string`, source);
  const text = Buffer.from(v, "base64").toString("utf8");
  if (!text.includes("-----BEGIN ")) throw err(`${where}.${field} is not base64-encoded PEM`, source);
  return text;
}

export interface ParseTalosconfigOptions {
  /**
   * A file without `context:` is an error by default. The API client reads such files too (talosctl does: the
   * context then comes from `--context`), getting `context: ""`.
   */
  readonly requireContext?: boolean;
}

/**
 * Parses a talosconfig (as written by talosctl or talform). The deprecated `target` is folded into endpoints, as
 * talosctl does on read. This is talform's only talosconfig parser (the API client selects contexts on top of it).
 */
export function parseTalosconfig(
  text: string,
  source = "talosconfig",
  options: ParseTalosconfigOptions = {},
): Talosconfig {
  const { documents, errors } = parseYamlDocuments(text);
  if (errors.length > 0) throw err(errors[0]!, source);
  const root = documents[0];
  if (documents.length !== 1 || !isYamlMap(root))
    throw err("expected one YAML mapping with context and contexts", source);
  const context = root.get("context");
  const rawContexts = root.get("contexts");
  if (rawContexts !== undefined && rawContexts !== null && !isYamlMap(rawContexts))
    throw err("contexts must be a mapping", source);
  const contexts = new Map<string, TalosconfigContext>();
  for (const [name, value] of isYamlMap(rawContexts) ? rawContexts : new Map<string, YamlNode>()) {
    if (!isYamlMap(value)) throw err(`contexts.${name} must be a mapping`, source);
    const where = `contexts.${name}`;
    const endpoints = stringList(value.get("endpoints"), `${where}.endpoints`, source) ?? [];
    const target = value.get("target");
    if (typeof target === "string" && target !== "" && endpoints.length === 0) endpoints.push(target);
    const nodes = stringList(value.get("nodes"), `${where}.nodes`, source);
    const cluster = value.get("cluster");
    const ca = pemField(value, "ca", where, source);
    const crt = pemField(value, "crt", where, source);
    const key = pemField(value, "key", where, source);
    contexts.set(name, {
      endpoints,
      ...(nodes ? { nodes } : {}),
      ...(ca ? { ca } : {}),
      ...(crt ? { crt } : {}),
      ...(key ? { key } : {}),
      ...(typeof cluster === "string" && cluster !== "" ? { cluster } : {}),
    });
  }
  if (context !== undefined && context !== null && typeof context !== "string")
    throw err("context must be a string", source);
  if (typeof context !== "string") {
    if (options.requireContext ?? true) throw err("context is missing", source);
    return { context: "", contexts };
  }
  return { context, contexts };
}

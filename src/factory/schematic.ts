import { createHash } from "node:crypto";
import { Alias, isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlAstNode, type Scalar } from "yaml";
import { TalformError } from "../diagnostics/index.js";
import {
  emitDocument,
  map,
  raw,
  resolvesToNonString,
  seq,
  str,
  UnsupportedYamlError,
  type YamlNode,
} from "./go-yaml-emitter.js";
import { compareGoKeys, goKeyLess } from "../util/go-key-order.js";

/**
 * An Image Factory schematic (github.com/siderolabs/image-factory `pkg/schematic`). Field order here is the order
 * the factory serialises them in, which is part of the ID.
 */
export interface Schematic {
  /** Enterprise factories only; part of the ID. */
  readonly owner?: string;
  readonly overlay?: Overlay;
  readonly customization?: Customization;
}

export interface Overlay {
  readonly image?: string;
  readonly name?: string;
  /** Free-form options; keys are emitted in go-yaml's natural sort order. */
  readonly options?: Readonly<Record<string, OptionValue>>;
}

/**
 * A value inside `overlay.options`, typed as go-yaml decodes it into `any`: `bigint` is an integer, `number` a float
 * (they print differently: `1000000` vs `1e+06`).
 */
export type OptionValue =
  string | number | bigint | boolean | null | readonly OptionValue[] | { readonly [key: string]: OptionValue };

export interface Customization {
  readonly embeddedMachineConfiguration?: string;
  readonly extraKernelArgs?: readonly string[];
  readonly meta?: readonly MetaValue[];
  readonly systemExtensions?: { readonly officialExtensions?: readonly string[] };
  readonly bootloader?: BootloaderKind;
  readonly secureboot?: { readonly enrollKeys?: string; readonly includeWellKnownCertificates?: boolean };
  readonly diskImage?: { readonly sectorSize?: number };
}

/** `key` is a uint8 (0–255). */
export interface MetaValue {
  readonly key: number;
  readonly value: string;
}

export const BOOTLOADER_KINDS = ["none", "dual-boot", "sd-boot", "grub"] as const;
export type BootloaderKind = (typeof BOOTLOADER_KINDS)[number];

// ---------------------------------------------------------------------------------------------------------------
// Strict parsing, mirroring go-yaml v4 decoding into the factory's structs with KnownFields(true).

const FIELDS = {
  schematic: ["owner", "overlay", "customization"],
  overlay: ["image", "name", "options"],
  customization: [
    "embeddedMachineConfiguration",
    "extraKernelArgs",
    "meta",
    "systemExtensions",
    "bootloader",
    "secureboot",
    "diskImage",
  ],
  meta: ["key", "value"],
  systemExtensions: ["officialExtensions"],
  secureboot: ["enrollKeys", "includeWellKnownCertificates"],
  diskImage: ["sectorSize"],
} as const;

const NULL_FORMS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUE_FORMS = new Set(["true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON"]);
const FALSE_FORMS = new Set(["false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF"]);

class Decoder {
  constructor(private readonly file: string) {}

  fail(path: string, message: string, hint?: string): never {
    throw new TalformError(`${this.file}: schematic ${path ? `${path}: ` : ""}${message}`, {
      code: "schematic",
      hint: hint ?? "see https://github.com/siderolabs/image-factory#schematics for the schematic format",
    });
  }

  isNull(node: unknown): boolean {
    return (
      node === null ||
      node === undefined ||
      (isScalar(node) && (node.type === "PLAIN" || node.type === undefined) && NULL_FORMS.has(scalarText(node)))
    );
  }

  noAliasOrTag(node: unknown, path: string): void {
    if (node instanceof Alias) this.fail(path, "YAML aliases are not supported in schematics");
    const tag = (node as { tag?: string } | null)?.tag;
    if (tag && tag !== "tag:yaml.org,2002:str" && tag !== "tag:yaml.org,2002:map" && tag !== "tag:yaml.org,2002:seq") {
      this.fail(path, `YAML tag ${tag} is not supported`);
    }
  }

  mapping(node: unknown, path: string, known: readonly string[]): Map<string, YamlAstNode | null> {
    this.noAliasOrTag(node, path);
    if (!isMap(node)) this.fail(path, `expected a mapping, got ${describe(node)}`);
    const out = new Map<string, YamlAstNode | null>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? scalarText(pair.key) : this.fail(path, "mapping keys must be plain strings");
      if (!known.includes(key)) {
        this.fail(
          path,
          `unknown field "${key}"`,
          `known fields here: ${known.join(", ")} (the factory rejects unknown fields)`,
        );
      }
      if (out.has(key)) this.fail(path, `field "${key}" is given twice`);
      out.set(key, (pair.value as YamlAstNode | null) ?? null);
    }
    return out;
  }

  string(node: unknown, path: string): string {
    this.noAliasOrTag(node, path);
    if (this.isNull(node)) return "";
    // go-yaml decodes any scalar (1, true, 1.5) into a string field as its text.
    if (!isScalar(node)) this.fail(path, `expected a string, got ${describe(node)}`);
    return scalarText(node);
  }

  strings(node: unknown, path: string): string[] {
    this.noAliasOrTag(node, path);
    if (this.isNull(node)) return [];
    if (!isSeq(node)) this.fail(path, `expected a list of strings, got ${describe(node)}`);
    return node.items.map((item, i) => this.string(item, `${path}[${i}]`));
  }

  bool(node: unknown, path: string): boolean {
    this.noAliasOrTag(node, path);
    if (this.isNull(node)) return false;
    if (isScalar(node) && (node.type === "PLAIN" || node.type === undefined)) {
      const t = scalarText(node);
      if (TRUE_FORMS.has(t)) return true;
      if (FALSE_FORMS.has(t)) return false;
    }
    return this.fail(path, `expected true or false, got ${describe(node)}`);
  }

  uint(node: unknown, path: string, max: number): number {
    this.noAliasOrTag(node, path);
    if (this.isNull(node)) return 0;
    if (isScalar(node) && (node.type === "PLAIN" || node.type === undefined)) {
      const v = goInteger(scalarText(node));
      if (v !== undefined && v >= 0n && v <= BigInt(max)) return Number(v);
    }
    return this.fail(path, `expected an integer from 0 to ${max}, got ${describe(node)}`);
  }

  option(node: unknown, path: string): OptionValue {
    this.noAliasOrTag(node, path);
    if (this.isNull(node)) return null;
    if (isMap(node)) {
      const out: Record<string, OptionValue> = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key)
          ? this.isNull(pair.key)
            ? ""
            : scalarText(pair.key)
          : this.fail(path, "option keys must be scalars");
        if (Object.hasOwn(out, key)) this.fail(path, `option "${key}" is given twice`);
        // defineProperty, not assignment: an option named "__proto__" must stay an option, not become the prototype.
        Object.defineProperty(out, key, {
          value: this.option(pair.value, `${path}.${key}`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => this.option(item, `${path}[${i}]`));
    if (!isScalar(node)) this.fail(path, `unsupported value ${describe(node)}`);
    const text = scalarText(node);
    if (node.type !== "PLAIN" && node.type !== undefined) return text;
    return goPlainValue(text);
  }
}

function scalarText(node: Scalar): string {
  // `source` is the scalar's text after unquoting/unfolding, independent of the schema the document was parsed with.
  const s = (node as Scalar & { source?: string }).source;
  if (typeof s === "string") return s;
  return node.value === null || node.value === undefined ? "" : String(node.value as string | number | boolean);
}

function describe(node: unknown): string {
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return JSON.stringify(scalarText(node));
  return "nothing";
}

/** Go integer literal (base prefixes, underscores) as go-yaml resolves it, or undefined. */
function goInteger(text: string): bigint | undefined {
  const t = text.replace(/_/g, "");
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(t);
  if (!m) return undefined;
  let body = m[2]!;
  if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
  const v = BigInt(body.toLowerCase().startsWith("0o") ? `0o${body.slice(2)}` : body);
  return m[1] === "-" ? -v : v;
}

/** What go-yaml's resolver turns a plain scalar into when decoding into `any`. */
function goPlainValue(text: string): OptionValue {
  if (NULL_FORMS.has(text)) return null;
  if (text === "true" || text === "True" || text === "TRUE") return true;
  if (text === "false" || text === "False" || text === "FALSE") return false;
  if (!resolvesToNonString(text)) return text;
  const special: Record<string, number> = { ".nan": NaN, ".NaN": NaN, ".NAN": NaN, "-0": -0, "-0.0": -0 };
  if (Object.hasOwn(special, text)) return special[text]!;
  const i = goInteger(text);
  if (i !== undefined && i >= -(2n ** 63n) && i <= 2n ** 64n - 1n) return i;
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  const f = Number(text.replace(/_/g, ""));
  // Timestamps decode into `any` as their text in go-yaml (and `<<` cannot occur as a value).
  return Number.isNaN(f) ? text : f;
}

/**
 * Parses a schematic YAML or JSON document strictly: unknown fields, wrong types, out-of-range meta keys and unknown
 * bootloaders are errors, as they are for the factory (HTTP 400). An empty document is the empty schematic.
 */
export function parseSchematic(text: string, file = "schematic"): Schematic {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(docs)) return {};
  if (docs.length > 1)
    throw new TalformError(`${file}: a schematic is one YAML document, found ${docs.length}`, { code: "schematic" });
  const doc = docs[0];
  if (!doc) return {};
  if (doc.errors.length > 0) throw new TalformError(`${file}: ${doc.errors[0]!.message}`, { code: "schematic" });
  return schematicFromYamlNode(doc.contents, file);
}

/**
 * Decodes a schematic from a plain JavaScript value (e.g. `toJS()` of a talconfig's `schematic`), with the same
 * strictness. Prefer `schematicFromYamlNode`: a plain value has lost the source text (`1.0` became `1`).
 */
export function schematicFromValue(value: unknown, file = "schematic"): Schematic {
  if (value === undefined || value === null) return {};
  return parseSchematic(JSON.stringify(value), file);
}

/**
 * Decodes a schematic from a node of an already parsed `yaml` document (e.g. `nodes[].schematic` in a talconfig), so
 * scalars keep their source text (`1.0` stays `1.0`).
 */
export function schematicFromYamlNode(node: unknown, file = "schematic"): Schematic {
  const d = new Decoder(file);
  if (d.isNull(node)) return {};
  const top = d.mapping(node, "", FIELDS.schematic);
  const out: { -readonly [K in keyof Schematic]: Schematic[K] } = {};
  const owner = d.string(top.get("owner"), "owner");
  if (owner) out.owner = owner;
  const ov = top.get("overlay");
  if (ov !== undefined && !d.isNull(ov)) {
    const o = d.mapping(ov, "overlay", FIELDS.overlay);
    const overlay: { image?: string; name?: string; options?: Record<string, OptionValue> } = {};
    const image = d.string(o.get("image"), "overlay.image");
    const name = d.string(o.get("name"), "overlay.name");
    if (image) overlay.image = image;
    if (name) overlay.name = name;
    const opts = o.get("options");
    if (opts !== undefined && !d.isNull(opts)) {
      if (!isMap(opts)) d.fail("overlay.options", `expected a mapping, got ${describe(opts)}`);
      overlay.options = d.option(opts, "overlay.options") as Record<string, OptionValue>;
    }
    out.overlay = overlay;
  }
  const cu = top.get("customization");
  if (cu !== undefined && !d.isNull(cu)) out.customization = decodeCustomization(d, cu);
  return out;
}

function decodeCustomization(d: Decoder, node: unknown): Customization {
  const c = d.mapping(node, "customization", FIELDS.customization);
  const out: { -readonly [K in keyof Customization]: Customization[K] } = {};
  const emc = d.string(c.get("embeddedMachineConfiguration"), "customization.embeddedMachineConfiguration");
  if (emc) out.embeddedMachineConfiguration = emc;
  const args = d.strings(c.get("extraKernelArgs"), "customization.extraKernelArgs");
  if (args.length > 0) out.extraKernelArgs = args;
  const metaNode = c.get("meta");
  if (metaNode !== undefined && !d.isNull(metaNode)) {
    if (!isSeq(metaNode)) d.fail("customization.meta", `expected a list, got ${describe(metaNode)}`);
    out.meta = metaNode.items.map((item, i) => {
      const p = `customization.meta[${i}]`;
      const m = d.mapping(item, p, FIELDS.meta);
      return { key: d.uint(m.get("key"), `${p}.key`, 255), value: d.string(m.get("value"), `${p}.value`) };
    });
  }
  const se = c.get("systemExtensions");
  if (se !== undefined && !d.isNull(se)) {
    const s = d.mapping(se, "customization.systemExtensions", FIELDS.systemExtensions);
    const exts = d.strings(s.get("officialExtensions"), "customization.systemExtensions.officialExtensions");
    out.systemExtensions = exts.length > 0 ? { officialExtensions: exts } : {};
  }
  const bl = d.string(c.get("bootloader"), "customization.bootloader");
  if (bl) {
    if (!(BOOTLOADER_KINDS as readonly string[]).includes(bl)) {
      d.fail("customization.bootloader", `unknown bootloader "${bl}"`, `use one of ${BOOTLOADER_KINDS.join(", ")}`);
    }
    out.bootloader = bl as BootloaderKind;
  }
  const sb = c.get("secureboot");
  if (sb !== undefined && !d.isNull(sb)) {
    const s = d.mapping(sb, "customization.secureboot", FIELDS.secureboot);
    const enrollKeys = d.string(s.get("enrollKeys"), "customization.secureboot.enrollKeys");
    const wk = d.bool(s.get("includeWellKnownCertificates"), "customization.secureboot.includeWellKnownCertificates");
    out.secureboot = { ...(enrollKeys ? { enrollKeys } : {}), ...(wk ? { includeWellKnownCertificates: true } : {}) };
  }
  const di = c.get("diskImage");
  if (di !== undefined && !d.isNull(di)) {
    const s = d.mapping(di, "customization.diskImage", FIELDS.diskImage);
    const sectorSize = d.uint(s.get("sectorSize"), "customization.diskImage.sectorSize", 2 ** 32 - 1);
    out.diskImage = sectorSize ? { sectorSize } : {};
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical form and ID.

/** Go's strconv.FormatFloat(f, 'g', -1, 64), plus go-yaml's spellings of the special values. */
export function goFloatText(f: number): string {
  if (Number.isNaN(f)) return ".nan";
  if (f === Infinity) return ".inf";
  if (f === -Infinity) return "-.inf";
  if (Object.is(f, -0)) return "-0";
  const [mant, expText] = f.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? "-" : "+";
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return String(f);
}

export { goKeyLess };

function optionNode(v: OptionValue): YamlNode {
  if (v === null) return raw("null");
  if (typeof v === "string") return str(v);
  if (typeof v === "boolean") return raw(v ? "true" : "false");
  if (typeof v === "bigint") return raw(v.toString());
  if (typeof v === "number") return raw(goFloatText(v));
  if (Array.isArray(v)) return seq((v as readonly OptionValue[]).map(optionNode));
  const obj = v as { readonly [key: string]: OptionValue };
  const keys = Object.keys(obj).sort(compareGoKeys);
  return map(keys.map((k) => [k, optionNode(obj[k]!)] as const));
}

type Entries = [string, YamlNode][];

function customizationEntries(c: Customization | undefined): Entries {
  const e: Entries = [];
  if (!c) return e;
  if (c.embeddedMachineConfiguration) e.push(["embeddedMachineConfiguration", str(c.embeddedMachineConfiguration)]);
  if (c.extraKernelArgs && c.extraKernelArgs.length > 0) e.push(["extraKernelArgs", seq(c.extraKernelArgs.map(str))]);
  if (c.meta && c.meta.length > 0) {
    e.push([
      "meta",
      seq(
        c.meta.map((m) =>
          map([
            ["key", raw(String(m.key))],
            ["value", str(m.value)],
          ]),
        ),
      ),
    ]);
  }
  const exts = c.systemExtensions?.officialExtensions;
  if (exts && exts.length > 0) e.push(["systemExtensions", map([["officialExtensions", seq(exts.map(str))]])]);
  if (c.bootloader && c.bootloader !== "none") e.push(["bootloader", str(c.bootloader)]);
  const sb: Entries = [];
  if (c.secureboot?.enrollKeys) sb.push(["enrollKeys", str(c.secureboot.enrollKeys)]);
  if (c.secureboot?.includeWellKnownCertificates) sb.push(["includeWellKnownCertificates", raw("true")]);
  if (sb.length > 0) e.push(["secureboot", map(sb)]);
  if (c.diskImage?.sectorSize) e.push(["diskImage", map([["sectorSize", raw(String(c.diskImage.sectorSize))]])]);
  return e;
}

/**
 * The schematic exactly as image-factory serialises it (`Schematic.Marshal`, go-yaml v4): struct field order,
 * `omitempty` fields dropped, `customization` always present, extensions in the order given (NOT sorted).
 */
export function canonicalSchematicYaml(schematic: Schematic): string {
  const root: Entries = [];
  if (schematic.owner) root.push(["owner", str(schematic.owner)]);
  const ov = schematic.overlay;
  const options = ov?.options && Object.keys(ov.options).length > 0 ? ov.options : undefined;
  if (ov && (ov.image || ov.name || options)) {
    const o: Entries = [
      ["image", str(ov.image ?? "")],
      ["name", str(ov.name ?? "")],
    ];
    if (options) o.push(["options", optionNode(options)]);
    root.push(["overlay", map(o)]);
  }
  root.push(["customization", map(customizationEntries(schematic.customization))]);
  try {
    return emitDocument(root);
  } catch (e) {
    if (e instanceof UnsupportedYamlError) {
      throw new TalformError(`schematic: ${e.message}`, {
        code: "schematic-unsupported",
        hint: "simplify the value, or compute the ID online with --online",
      });
    }
    throw e;
  }
}

/** The schematic ID: lowercase hex SHA-256 of the canonical YAML. */
export function schematicId(schematic: Schematic): string {
  return createHash("sha256").update(canonicalSchematicYaml(schematic), "utf8").digest("hex");
}

/** The ID of the empty schematic (no extensions, no kernel arguments). */
export const EMPTY_SCHEMATIC_ID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";

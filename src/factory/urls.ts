import { TalformError } from "../diagnostics/index.js";
import { executeGoTemplate, GoTemplateError } from "../util/go-template.js";

type TemplateData = Readonly<Record<string, string | boolean>>;
import { schematicId, type Schematic } from "./schematic.js";

/** talconfig `imageFactory` (talhelper `config.ImageFactory`). Note the YAML key `ISOURLTmpl` for the image template. */
export interface ImageFactorySettings {
  readonly registryURL?: string;
  readonly schematicEndpoint?: string;
  readonly protocol?: string;
  /** Go template; data: RegistryURL, ID, Version, Mode, Secureboot. */
  readonly installerURLTmpl?: string;
  /** Go template; data: BootMethod, Suffix, Protocol, RegistryURL, ID, Version, Mode, Arch, Secureboot, UseUKI. */
  readonly ISOURLTmpl?: string;
}

/** talconfig `machineSpec`. */
export interface MachineSpec {
  readonly mode?: string;
  readonly arch?: string;
  readonly secureboot?: boolean;
  readonly useUKI?: boolean;
  readonly bootMethod?: string;
  readonly imageSuffix?: string;
}

/** What URL generation needs to know about one node (after talconfig group defaults are merged). */
export interface FactoryNodeInput {
  readonly hostname: string;
  readonly talosVersion: string;
  /** Used for installer URLs (and image URLs when there is no imageSchematic). */
  readonly schematic?: Schematic;
  /** talhelper `imageSchematic`: used for ISO/disk-image URLs instead of `schematic`. */
  readonly imageSchematic?: Schematic;
  /** Image name without tag; the installer becomes `<talosImageURL>:<talosVersion>` and the schematic is ignored. */
  readonly talosImageURL?: string;
  readonly machineSpec?: MachineSpec;
}

export const DEFAULT_REGISTRY_URL = "factory.talos.dev";
export const DEFAULT_INSTALLER_URL_TMPL =
  "{{.RegistryURL}}/{{.Mode}}-installer{{if .Secureboot}}-secureboot{{end}}/{{.ID}}:{{.Version}}";
export const DEFAULT_IMAGE_URL_TMPL =
  "{{.Protocol}}://{{.RegistryURL}}/image/{{.ID}}/{{.Version}}/{{.Mode}}-{{.Arch}}{{if .Secureboot}}-secureboot{{end}}{{if and .Secureboot .UseUKI}}-uki.efi{{ else }}{{.Suffix}}{{end}}";
/** The installer form the factory offers below Talos 1.10 (and still serves): always the `metal` platform. */
export const LEGACY_INSTALLER_URL_TMPL =
  "{{.RegistryURL}}/installer{{if .Secureboot}}-secureboot{{end}}/{{.ID}}:{{.Version}}";

/** talhelper `GetImageFactory`: every empty setting takes its default (values are used verbatim otherwise). */
export function resolveImageFactorySettings(settings: ImageFactorySettings = {}): Required<ImageFactorySettings> {
  return {
    registryURL: settings.registryURL || DEFAULT_REGISTRY_URL,
    schematicEndpoint: settings.schematicEndpoint || "/schematics",
    protocol: settings.protocol || "https",
    installerURLTmpl: settings.installerURLTmpl || DEFAULT_INSTALLER_URL_TMPL,
    ISOURLTmpl: settings.ISOURLTmpl || DEFAULT_IMAGE_URL_TMPL,
  };
}

/**
 * Fills machine-spec defaults. `talconfig` is talhelper's `Node.GetMachineSpec` (metal, amd64, bootMethod iso,
 * imageSuffix iso); `flags` is the flags-only mode of `genurl` (no talconfig), where an empty suffix is derived from
 * the boot method.
 */
export function resolveMachineSpec(
  spec: MachineSpec = {},
  defaults: "talconfig" | "flags" = "talconfig",
): Required<MachineSpec> {
  return {
    mode: spec.mode || "metal",
    arch: spec.arch || "amd64",
    secureboot: spec.secureboot ?? false,
    useUKI: spec.useUKI ?? false,
    bootMethod: spec.bootMethod || (defaults === "talconfig" ? "iso" : ""),
    imageSuffix: spec.imageSuffix || (defaults === "talconfig" ? "iso" : ""),
  };
}

/**
 * talhelper's suffix for an empty `imageSuffix`. `disk-image` gives `.raw.zxt` — talhelper's typo, kept so that
 * `genurl image --boot-method disk-image` prints what talhelper prints; pass `--suffix raw.xz` for a working URL.
 */
export function imageSuffixFor(bootMethod: string, secureboot: boolean, useUKI: boolean): string {
  switch (bootMethod) {
    case "":
      return ".iso";
    case "iso":
      return secureboot && useUKI ? ".efi" : ".iso";
    case "disk-image":
      return ".raw.zxt";
    default:
      return "";
  }
}

function render(template: string, data: TemplateData, what: string, node: string): string {
  try {
    return executeGoTemplate(template, data);
  } catch (e) {
    if (e instanceof GoTemplateError) {
      throw new TalformError(`imageFactory.${what}: ${e.message}`, {
        code: "factory-template",
        hint: "use {{.Field}}, {{if}}/{{else}}/{{end}} and the functions listed; see docs/factory.md",
        ...(node
          ? {
              diagnostics: [
                { severity: "error", code: "factory-template", message: `imageFactory.${what}: ${e.message}`, node },
              ],
            }
          : {}),
      });
    }
    throw e;
  }
}

export interface UrlOptions {
  /** Use this ID instead of computing it offline (e.g. one returned by the factory with --online). */
  readonly schematicId?: string;
  /** Machine-spec defaults to apply (default `talconfig`). */
  readonly specDefaults?: "talconfig" | "flags";
}

/** The installer image for `talosctl upgrade --image` / `machine.install.image`, as `talhelper genurl installer` prints it. */
export function installerImageUrl(
  node: FactoryNodeInput,
  settings: ImageFactorySettings = {},
  opts: UrlOptions & { legacy?: boolean } = {},
): string {
  if (node.talosImageURL) return `${node.talosImageURL}:${node.talosVersion}`;
  const f = resolveImageFactorySettings(settings);
  const spec = resolveMachineSpec(node.machineSpec, opts.specDefaults);
  const data: TemplateData = {
    RegistryURL: f.registryURL,
    ID: opts.schematicId ?? schematicId(node.schematic ?? {}),
    Version: node.talosVersion,
    Mode: spec.mode,
    Secureboot: spec.secureboot,
  };
  return render(opts.legacy ? LEGACY_INSTALLER_URL_TMPL : f.installerURLTmpl, data, "installerURLTmpl", node.hostname);
}

/** The boot media URL (ISO, disk image, UKI, PXE base) as `talhelper genurl image` prints it. */
export function imageUrl(node: FactoryNodeInput, settings: ImageFactorySettings = {}, opts: UrlOptions = {}): string {
  const f = resolveImageFactorySettings(settings);
  const spec = resolveMachineSpec(node.machineSpec, opts.specDefaults);
  const data: TemplateData = {
    BootMethod: spec.bootMethod,
    Suffix: spec.imageSuffix ? `.${spec.imageSuffix}` : imageSuffixFor(spec.bootMethod, spec.secureboot, spec.useUKI),
    Protocol: f.protocol,
    RegistryURL: f.registryURL,
    ID: opts.schematicId ?? schematicId(node.imageSchematic ?? node.schematic ?? {}),
    Version: node.talosVersion,
    Mode: spec.mode,
    Arch: spec.arch,
    Secureboot: spec.secureboot,
    UseUKI: spec.useUKI,
  };
  return render(f.ISOURLTmpl, data, "ISOURLTmpl", node.hostname);
}

// ---------------------------------------------------------------------------------------------------------------
// The factory's own URL space (independent of talhelper's templates).

export type FactoryArch = "amd64" | "arm64";
/** Boot assets under `/image/<id>/<version>/`. Disk-image suffixes are free-form (`raw.xz`, `qcow2`, `raw.zst`, `vmdk`…). */
export type BootAsset =
  | { kind: "iso" }
  | { kind: "disk"; suffix: string }
  | { kind: "uki" }
  | { kind: "kernel" }
  | { kind: "initramfs" }
  | { kind: "cmdline" }
  | { kind: "installer-tar" };

export interface FactoryAssetRequest {
  readonly schematicId: string;
  readonly talosVersion: string;
  readonly platform?: string;
  readonly arch?: FactoryArch;
  readonly secureboot?: boolean;
  /** Host of the factory (default factory.talos.dev) and protocol (default https). */
  readonly registryURL?: string;
  readonly protocol?: string;
}

const withV = (version: string): string => (version.startsWith("v") ? version : `v${version}`);

function checkArch(arch: string): FactoryArch {
  if (arch !== "amd64" && arch !== "arm64") {
    throw new TalformError(`unsupported architecture "${arch}"`, { code: "factory-arch", hint: "use amd64 or arm64" });
  }
  return arch;
}

/** `https://<registry>/image/<id>/<version>/<asset file>` for every boot asset the factory serves. */
export function bootAssetUrl(req: FactoryAssetRequest, asset: BootAsset): string {
  const platform = req.platform ?? "metal";
  const arch = checkArch(req.arch ?? "amd64");
  const sb = req.secureboot ? "-secureboot" : "";
  const base = `${req.protocol ?? "https"}://${req.registryURL ?? DEFAULT_REGISTRY_URL}/image/${req.schematicId}/${withV(req.talosVersion)}/`;
  const stem = `${platform}-${arch}${sb}`;
  switch (asset.kind) {
    case "iso":
      return `${base}${stem}.iso`;
    case "disk":
      return `${base}${stem}.${asset.suffix.replace(/^\./, "")}`;
    case "uki":
      return `${base}${stem}-uki.efi`;
    case "kernel":
      return `${base}kernel-${arch}`;
    case "initramfs":
      return `${base}initramfs-${arch}.xz`;
    case "cmdline":
      return `${base}cmdline-${stem}`;
    case "installer-tar":
      return `${base}${platform}-installer-${arch}${sb}.tar`;
  }
}

/** The iPXE script URL (`https://pxe.talos.dev/pxe/<id>/<version>/<platform>-<arch>[-secureboot]`). */
export function pxeScriptUrl(req: FactoryAssetRequest & { pxeBaseURL?: string }): string {
  const arch = checkArch(req.arch ?? "amd64");
  const base = (req.pxeBaseURL ?? "https://pxe.talos.dev").replace(/\/+$/, "");
  return `${base}/pxe/${req.schematicId}/${withV(req.talosVersion)}/${req.platform ?? "metal"}-${arch}${req.secureboot ? "-secureboot" : ""}`;
}

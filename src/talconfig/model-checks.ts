import { resolve } from "node:path";
import type { Diagnostic } from "../diagnostics/index.js";
import { DEFAULT_TALOS_VERSION } from "../contract/index.js";
import { CODES } from "./codes.js";
import { isSemVer, splitIpAddresses } from "./formats.js";
import { DEPRECATED_KEYS } from "./schema.js";
import { nodeNameFor, valueAt } from "./schema-issues.js";
import { formatPath, type DocPath, type YamlSource } from "./yaml-source.js";

/** Deprecated keys are accepted with a warning that says what to use instead. */
export function reportDeprecated(data: unknown, src: YamlSource, diagnostics: Diagnostic[]): void {
  if (typeof data !== "object" || data === null) return;
  const d = data as Record<string, unknown>;
  const containers: DocPath[] = [[], ["controlPlane"], ["worker"]];
  if (Array.isArray(d.nodes)) d.nodes.forEach((_, i) => containers.push(["nodes", i]));
  for (const c of containers) {
    const obj = valueAt(data, c);
    if (typeof obj !== "object" || obj === null) continue;
    for (const [key, instead] of Object.entries(DEPRECATED_KEYS)) {
      if (!Object.hasOwn(obj, key)) continue;
      if (key === "allowSchedulingOnMasters" || key === "additionalMachineCertSans" ? c.length > 0 : c.length === 0)
        continue;
      const p = [...c, key];
      const node = nodeNameFor(p, data);
      diagnostics.push({
        severity: "warning",
        code: CODES.deprecatedKey,
        message: `${key} is deprecated`,
        hint: instead,
        path: formatPath(p),
        source: src.positionOf(p, true),
        ...(node ? { node } : {}),
      });
    }
  }
}

// Model checks beyond the schema. They read the raw data defensively so they also run when the schema found
// errors elsewhere (all findings at once).
type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Loose) : undefined;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export function checkModel(data: unknown, src: YamlSource, diagnostics: Diagnostic[]): void {
  const config = obj(data) ?? {};
  const err = (path: DocPath, code: string, message: string, hint: string) => {
    const node = nodeNameFor(path, config);
    diagnostics.push({
      severity: "error",
      code,
      message,
      hint,
      path: formatPath(path),
      source: src.positionOf(path),
      ...(node ? { node } : {}),
    });
  };
  const talosVersion = text(config.talosVersion);
  if (talosVersion !== undefined && !isSemVer(talosVersion)) {
    err(
      ["talosVersion"],
      CODES.invalidValue,
      `talosVersion "${talosVersion}" is not a version`,
      `write a Talos release like ${DEFAULT_TALOS_VERSION}`,
    );
  }
  const kubernetesVersion = text(config.kubernetesVersion);
  if (kubernetesVersion !== undefined && !isSemVer(kubernetesVersion)) {
    err(
      ["kubernetesVersion"],
      CODES.invalidValue,
      `kubernetesVersion "${kubernetesVersion}" is not a version`,
      "write a Kubernetes release like v1.35.0",
    );
  }
  const hostnames = new Map<string, number>();
  const ips = new Map<string, number>();
  list(config.nodes).forEach((raw, i) => {
    const n = obj(raw);
    if (!n) return;
    if (n.installDisk === undefined && n.installDiskSelector === undefined) {
      err(
        ["nodes", i, "installDisk"],
        CODES.missingKey,
        "installDisk or installDiskSelector is required",
        "add installDisk: /dev/sda (or an installDiskSelector)",
      );
    }
    if (n.installDisk !== undefined && n.installDiskSelector !== undefined) {
      // Talos accepts both (machine.install.disk and diskSelector) and installs to the disk the selector matches.
      const path: DocPath = ["nodes", i, "installDiskSelector"];
      const node = nodeNameFor(path, config);
      diagnostics.push({
        severity: "warning",
        code: CODES.invalidValue,
        message:
          "installDisk and installDiskSelector are both set: Talos installs to the disk installDiskSelector matches and ignores installDisk",
        hint: "remove installDisk (or the selector) so the file says which disk is used",
        path: formatPath(path),
        source: src.positionOf(path),
        ...(node ? { node } : {}),
      });
    }
    const hostname = text(n.hostname);
    if (hostname !== undefined) {
      const prev = hostnames.get(hostname);
      if (prev !== undefined && n.ignoreHostname !== true)
        err(
          ["nodes", i, "hostname"],
          CODES.duplicateNode,
          `hostname "${hostname}" is also used by nodes[${prev}]`,
          "give every node its own hostname",
        );
      else hostnames.set(hostname, i);
    }
    for (const ip of splitIpAddresses(text(n.ipAddress) ?? "")) {
      const p = ips.get(ip);
      if (p !== undefined)
        err(
          ["nodes", i, "ipAddress"],
          CODES.duplicateNode,
          `ipAddress ${ip} is also used by nodes[${p}]`,
          "give every node its own address",
        );
      else ips.set(ip, i);
    }
  });
}

/** `@file` references (patches, machineFiles, inlineManifests, extraManifests) must point at files that exist. */
export async function checkFileRefs(
  data: unknown,
  src: YamlSource,
  dir: string,
  readFile: (p: string) => Promise<string>,
  diagnostics: Diagnostic[],
): Promise<void> {
  const config = obj(data) ?? {};
  const refs: { path: DocPath; file: string }[] = [];
  const add = (path: DocPath, value: unknown, implicitAt = false) => {
    if (typeof value !== "string") return;
    const f = fileRef(value, implicitAt);
    if (f) refs.push({ path, file: f });
  };
  list(config.patches).forEach((p, i) => add(["patches", i], p));
  list(config.inlineManifests).forEach((m, i) => add(["inlineManifests", i, "contents"], obj(m)?.contents));
  const groups: [DocPath, unknown][] = [
    [["controlPlane"], config.controlPlane],
    [["worker"], config.worker],
  ];
  list(config.nodes).forEach((n, i) => groups.push([["nodes", i], n]));
  for (const [base, raw] of groups) {
    const g = obj(raw);
    if (!g) continue;
    list(g.patches).forEach((p, i) => add([...base, "patches", i], p));
    list(g.machineFiles).forEach((f, i) => add([...base, "machineFiles", i, "content"], obj(f)?.content));
    list(g.extraManifests).forEach((m, i) => add([...base, "extraManifests", i], m, true));
  }
  for (const r of refs) {
    const abs = resolve(dir, r.file);
    try {
      await readFile(abs);
    } catch {
      const node = nodeNameFor(r.path, config);
      diagnostics.push({
        severity: "error",
        code: CODES.missingFileRef,
        message: `referenced file ${r.file} does not exist (resolved to ${abs})`,
        hint: "@ paths are relative to the folder of talconfig.yaml",
        path: formatPath(r.path),
        source: src.positionOf(r.path),
        ...(node ? { node } : {}),
      });
    }
  }
}

/** The path of an `@file` entry, or undefined for inline content. `extraManifests` entries are paths even without `@`. */
export function fileRef(text: string, implicitAt = false): string | undefined {
  const t = text.trim();
  if (t.startsWith("@")) {
    const p = t.slice(1).trim();
    return p === "" || p.includes("\n") ? undefined : p;
  }
  return implicitAt && t !== "" && !t.includes("\n") ? t : undefined;
}

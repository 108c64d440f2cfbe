import YAML from "yaml";
import type { ResolvedNode } from "../types.js";
import type { PolicyContext } from "./types.js";

/**
 * What a node's machine config will say about the things the rules check, gathered from the talconfig keys and from
 * its patches (inline or `@file`; strategic-merge, multi-document, or the add/replace operations of JSON6902).
 * Templates are not rendered; a patch that cannot be read contributes nothing (genconfig reports it).
 */
export interface NodeFacts {
  readonly kernelModules: ReadonlySet<string>;
  readonly sysctls: ReadonlyMap<string, string>;
  /** `machine.files[]` entries and `machineFiles`: path → content. */
  readonly files: ReadonlyMap<string, string>;
  readonly nameservers: readonly string[];
  readonly timeServers: readonly string[];
  /** Interface-like entries (networkInterfaces, machine.network.interfaces, vlans) with their addresses and dhcp. */
  readonly interfaces: readonly {
    readonly addresses: readonly string[];
    readonly dhcp: boolean;
    readonly from: string;
  }[];
  /** Multi-doc network documents that enable DHCP (DHCPv4Config/DHCPv6Config). */
  readonly dhcpDocuments: readonly string[];
  /** Addresses from multi-doc LinkConfig/VLANConfig/BondConfig documents. */
  readonly documentAddresses: readonly string[];
  readonly officialExtensions: readonly string[];
  readonly nodeLabels: Readonly<Record<string, string>>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const get = (v: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((cur, k) => (isObj(cur) ? cur[k] : undefined), v);

/** The YAML documents of a node's patches, in order. */
export function patchDocuments(node: ResolvedNode, ctx: PolicyContext): unknown[] {
  const docs: unknown[] = [];
  for (const p of node.patches) {
    const text = p.file ? ctx.files.read(p.file) : p.text;
    if (text === undefined) continue;
    try {
      for (const d of YAML.parseAllDocuments(text, { maxAliasCount: 100, logLevel: "silent" } as YAML.ParseOptions &
        YAML.DocumentOptions)) {
        if (d.errors.length > 0) continue;
        const js = d.toJS({ maxAliasCount: 100 }) as unknown;
        if (isObj(js) && !("sops" in js)) docs.push(js);
        else if (Array.isArray(js)) docs.push(json6902AsObject(js));
      }
    } catch {
      // unreadable patch: genconfig reports it
    }
  }
  return docs;
}

/**
 * The `add`/`replace` operations of a JSON6902 patch as the object they write (the Talos docs give the NVIDIA default
 * runtime as `op: add, path: /machine/files`). Removals and tests are ignored: the rules only look for settings.
 */
export function json6902AsObject(ops: unknown[]): Obj {
  const root: Obj = {};
  for (const op of ops) {
    if (!isObj(op) || (op.op !== "add" && op.op !== "replace") || typeof op.path !== "string") continue;
    const segs = op.path
      .split("/")
      .slice(1)
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (segs.length === 0) continue;
    let cur: Obj = root;
    for (let i = 0; i < segs.length - 1; i++) {
      const next = segs[i + 1]!;
      const key = segs[i]!;
      if (next === "-" || /^\d+$/.test(next)) {
        const list = Array.isArray(cur[key]) ? (cur[key] as unknown[]) : (cur[key] = []);
        if (i + 1 === segs.length - 1) {
          list.push(op.value);
          cur = {};
          break;
        }
        const item: Obj = {};
        list.push(item);
        cur = item;
        i++;
        continue;
      }
      if (!isObj(cur[key])) cur[key] = {};
      cur = cur[key] as Obj;
    }
    const last = segs[segs.length - 1]!;
    if (last !== "-" && !/^\d+$/.test(last)) cur[last] = op.value;
  }
  return root;
}

export function nodeFacts(node: ResolvedNode, ctx: PolicyContext): NodeFacts {
  const kernelModules = new Set<string>();
  const sysctls = new Map<string, string>();
  const files = new Map<string, string>();
  const nameservers: string[] = [];
  const timeServers: string[] = [];
  const interfaces: { addresses: string[]; dhcp: boolean; from: string }[] = [];
  const dhcpDocuments: string[] = [];
  const documentAddresses: string[] = [];
  const nodeLabels: Record<string, string> = { ...(node.nodeLabels ?? {}) };

  for (const m of node.kernelModules ?? []) kernelModules.add(m.name);
  // The talform-only `nvidia-gpu` preset loads these on every Talos version (src/genconfig/presets.ts).
  if (node.presets?.includes("nvidia-gpu"))
    for (const m of ["nvidia", "nvidia_uvm", "nvidia_drm", "nvidia_modeset"]) kernelModules.add(m);
  for (const f of node.machineFiles ?? []) if (f.path) files.set(f.path, f.content ?? "");
  nameservers.push(...(node.nameservers ?? []));
  const addDevice = (d: unknown, from: string) => {
    if (!isObj(d)) return;
    interfaces.push({
      addresses: arr(d.addresses)
        .map(String)
        .concat(typeof d.cidr === "string" ? [d.cidr] : []),
      dhcp: d.dhcp === true,
      from,
    });
    for (const v of arr(d.vlans))
      if (isObj(v))
        interfaces.push({ addresses: arr(v.addresses).map(String), dhcp: v.dhcp === true, from: `${from} vlan` });
  };
  for (const d of node.networkInterfaces ?? []) addDevice(d, "networkInterfaces");

  for (const doc of patchDocuments(node, ctx)) {
    const kind = get(doc, "kind");
    if (typeof kind === "string") {
      const name = get(doc, "name");
      if (kind === "KernelModuleConfig" && typeof name === "string") kernelModules.add(name);
      if (kind === "ResolverConfig")
        for (const ns of arr(get(doc, "nameservers"))) nameservers.push(String(get(ns, "address") ?? ns));
      if (kind === "TimeSyncConfig") {
        const servers = arr(get(doc, "ntp", "servers")).concat(arr(get(doc, "ptp", "devices")));
        timeServers.push(...servers.map(String));
      }
      if (kind === "DHCPv4Config" || kind === "DHCPv6Config") dhcpDocuments.push(`${kind} ${String(name)}`);
      if (kind === "LinkConfig" || kind === "VLANConfig" || kind === "BondConfig" || kind === "BridgeConfig") {
        for (const a of arr(get(doc, "addresses"))) documentAddresses.push(String(get(a, "address") ?? a));
      }
      if (kind === "KubeletConfig" || kind === "KubernetesNodeLabels") {
        // nothing the rules need yet
      }
      continue;
    }
    for (const m of arr(get(doc, "machine", "kernel", "modules")))
      if (typeof get(m, "name") === "string") kernelModules.add(get(m, "name") as string);
    const sc = get(doc, "machine", "sysctls");
    if (isObj(sc)) for (const [k, v] of Object.entries(sc)) sysctls.set(k, String(v));
    for (const f of arr(get(doc, "machine", "files"))) {
      const path = get(f, "path");
      if (typeof path === "string") files.set(path, String(get(f, "content") ?? ""));
    }
    nameservers.push(...arr(get(doc, "machine", "network", "nameservers")).map(String));
    timeServers.push(...arr(get(doc, "machine", "time", "servers")).map(String));
    for (const d of arr(get(doc, "machine", "network", "interfaces"))) addDevice(d, "patch");
    const labels = get(doc, "machine", "nodeLabels");
    if (isObj(labels)) for (const [k, v] of Object.entries(labels)) nodeLabels[k] = String(v);
  }
  const officialExtensions = node.schematic?.customization?.systemExtensions?.officialExtensions ?? [];
  return {
    kernelModules,
    sysctls,
    files,
    nameservers,
    timeServers,
    interfaces,
    dhcpDocuments,
    documentAddresses,
    officialExtensions,
    nodeLabels,
  };
}

/** The CRI customization file whose `default_runtime_name` selects the default container runtime. */
export const CRI_CUSTOMIZATION_PATH = "/etc/cri/conf.d/20-customization.part";

export function defaultRuntimeOf(facts: NodeFacts): string | undefined {
  const content = facts.files.get(CRI_CUSTOMIZATION_PATH);
  if (content === undefined) return undefined;
  const m = /default_runtime_name\s*=\s*"([^"]*)"/.exec(content);
  return m?.[1];
}

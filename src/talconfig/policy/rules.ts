import YAML from "yaml";
import { join } from "node:path";
import type { Diagnostic, Severity, SourcePosition } from "../../diagnostics/index.js";
import { compareTalosVersions, contractFor, parseTalosVersion, SUPPORTED_TALOS_MINORS, TALOS_MINORS } from "../../contract/index.js";
import { addressOf, isIpAddress } from "../formats.js";
import type { LoadedTalconfig, ResolvedNode } from "../types.js";
import type { DocPath } from "../yaml-source.js";
import { defaultRuntimeOf, nodeFacts, CRI_CUSTOMIZATION_PATH, type NodeFacts } from "./node-facts.js";
import { BUILTIN_EXTENSIONS } from "./extensions.js";
import { sopsRuleFromFile } from "./sops-rules.js";
import type { PolicyContext, PolicyRule } from "./types.js";

type NodeKey = keyof ResolvedNode["origin"];

/** Position and path of a node's key: in the node if it came from there, in its group if inherited. */
function where(loaded: LoadedTalconfig, node: ResolvedNode, key?: NodeKey | "hostname" | "ipAddress"): { path: string; source: SourcePosition } {
  let p: DocPath = ["nodes", node.index];
  if (key) {
    const origin = key === "hostname" || key === "ipAddress" ? "node" : node.origin[key];
    if (origin === "group") p = [node.controlPlane ? "controlPlane" : "worker", key];
    else if (origin === "node" || key === "hostname" || key === "ipAddress") p = ["nodes", node.index, key];
  }
  const path = p.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("").replace(/^\./, "");
  return { path, source: loaded.sourceMap?.positionOf(p) ?? node.source };
}

function finding(rule: { code: string; severity: Severity }, loaded: LoadedTalconfig, node: ResolvedNode | undefined, key: NodeKey | "hostname" | "ipAddress" | undefined, message: string, hint: string): Diagnostic {
  const loc = node ? where(loaded, node, key) : undefined;
  return { severity: rule.severity, code: rule.code, message, hint, ...(node ? { node: node.hostname } : {}), ...(loc ? loc : {}) };
}

function topLevel(rule: { code: string; severity: Severity }, loaded: LoadedTalconfig, key: string, message: string, hint: string): Diagnostic {
  const source = loaded.sourceMap?.positionOf([key]) ?? { file: loaded.path, line: 1, col: 1 };
  return { severity: rule.severity, code: rule.code, message, hint, path: key, source };
}

// Memoised per validate run (rules ask for the same node's facts several times).
const factsCache = new WeakMap<ResolvedNode, NodeFacts>();
function facts(node: ResolvedNode, ctx: PolicyContext): NodeFacts {
  let f = factsCache.get(node);
  if (!f) factsCache.set(node, (f = nodeFacts(node, ctx)));
  return f;
}

// --- NVIDIA --------------------------------------------------------------------------------------------------------

const NVIDIA_MODULES = ["nvidia", "nvidia_uvm", "nvidia_drm", "nvidia_modeset"];

interface GpuExtensions {
  /** Kernel-module extensions: `nonfree-kmod-nvidia-<flavour>` (proprietary) / `nvidia-open-gpu-kernel-modules-<flavour>`. */
  readonly kmods: { name: string; open: boolean; flavour: string }[];
  readonly toolkits: { name: string; flavour: string }[];
}

function gpuExtensions(exts: readonly string[]): GpuExtensions {
  const kmods: GpuExtensions["kmods"] = [];
  const toolkits: GpuExtensions["toolkits"] = [];
  for (const e of exts) {
    const name = e.replace(/^siderolabs\//, "");
    let m = /^nonfree-kmod-nvidia(?:-(.+))?$/.exec(name);
    if (m) kmods.push({ name: e, open: false, flavour: m[1] ?? "production" });
    m = /^nvidia-open-gpu-kernel-modules(?:-(.+))?$/.exec(name);
    if (m) kmods.push({ name: e, open: true, flavour: m[1] ?? "production" });
    m = /^nvidia-container-toolkit(?:-(.+))?$/.exec(name);
    if (m) toolkits.push({ name: e, flavour: m[1] ?? "production" });
  }
  return { kmods, toolkits };
}

const gpuNodes = (loaded: LoadedTalconfig, ctx: PolicyContext) =>
  loaded.nodes.filter((n) => !n.controlPlane && gpuExtensions(facts(n, ctx).officialExtensions).kmods.length > 0);

const gpuContainerToolkit: PolicyRule = {
  code: "gpu-container-toolkit",
  severity: "error",
  summary: "A GPU worker (nvidia kernel-module extension) also has the nvidia-container-toolkit extension.",
  check(loaded, ctx) {
    return gpuNodes(loaded, ctx)
      .filter((n) => gpuExtensions(facts(n, ctx).officialExtensions).toolkits.length === 0)
      .map((n) => {
        const { kmods } = gpuExtensions(facts(n, ctx).officialExtensions);
        return finding(this, loaded, n, "schematic", `GPU worker has ${kmods[0]!.name} but no nvidia-container-toolkit extension`, `add siderolabs/nvidia-container-toolkit-${kmods[0]!.flavour} to schematic.customization.systemExtensions.officialExtensions`);
      });
  },
};

const gpuDriverFlavour: PolicyRule = {
  code: "gpu-driver-flavour",
  severity: "error",
  summary: "One NVIDIA driver per node: proprietary or open, and the same flavour (production/lts) for kernel modules and toolkit.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of gpuNodes(loaded, ctx)) {
      const { kmods, toolkits } = gpuExtensions(facts(n, ctx).officialExtensions);
      if (kmods.length > 1) {
        out.push(finding(this, loaded, n, "schematic", `more than one NVIDIA kernel-module extension: ${kmods.map((k) => k.name).join(", ")}`, "keep exactly one: nonfree-kmod-nvidia-* (proprietary) or nvidia-open-gpu-kernel-modules-* (open)"));
        continue;
      }
      const flavours = new Set([...kmods, ...toolkits].map((e) => e.flavour));
      if (flavours.size > 1) {
        out.push(finding(this, loaded, n, "schematic", `NVIDIA extensions mix driver flavours (${[...kmods, ...toolkits].map((e) => e.name).join(", ")})`, `use the same flavour for all of them, e.g. ${kmods[0]!.name} with siderolabs/nvidia-container-toolkit-${kmods[0]!.flavour}`));
      }
    }
    return out;
  },
};

const gpuKernelModules: PolicyRule = {
  code: "gpu-kernel-modules",
  severity: "error",
  summary: "A GPU worker loads the kernel modules nvidia, nvidia_uvm, nvidia_drm and nvidia_modeset.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of gpuNodes(loaded, ctx)) {
      const missing = NVIDIA_MODULES.filter((m) => !facts(n, ctx).kernelModules.has(m));
      if (missing.length > 0) {
        out.push(finding(this, loaded, n, "kernelModules", `GPU worker does not load the kernel module${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`, `add kernelModules: [${missing.map((m) => `{name: ${m}}`).join(", ")}] (or a patch with machine.kernel.modules / KernelModuleConfig)`));
      }
    }
    return out;
  },
};

const gpuRuntime: PolicyRule = {
  code: "gpu-runtime",
  severity: "warning",
  summary: "GPU runtime setup matches the Talos version: nvidia default runtime + bpf_jit_harden=1 before 1.13; CDI (gpu-operator), no nvidia default runtime, from 1.13.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of gpuNodes(loaded, ctx)) {
      const contract = contractFor(n.talosVersion);
      if (!contract) continue;
      const f = facts(n, ctx);
      const runtime = defaultRuntimeOf(f);
      if (contract.nvidiaGpuViaCdi()) {
        if (runtime === "nvidia") {
          out.push(finding(this, loaded, n, "patches", `Talos ${contract.name} uses CDI for NVIDIA GPUs; the nvidia default runtime in ${CRI_CUSTOMIZATION_PATH} is the pre-1.13 setup`, "remove the default_runtime_name customization and install the NVIDIA gpu-operator (driver.enabled=false, toolkit.enabled=false)"));
        }
        if (f.sysctls.has("net.core.bpf_jit_harden")) {
          out.push(finding(this, loaded, n, "patches", `Talos ${contract.name} does not need the net.core.bpf_jit_harden sysctl for NVIDIA GPUs (CDI)`, "remove machine.sysctls.net.core.bpf_jit_harden from the GPU patch"));
        }
      } else {
        if (runtime !== "nvidia") {
          out.push(finding(this, loaded, n, "patches", `GPU worker on Talos ${contract.name} does not make nvidia the default container runtime`, `add a machine file ${CRI_CUSTOMIZATION_PATH} with default_runtime_name = "nvidia" under [plugins."io.containerd.cri.v1.runtime".containerd] (or use runtimeClassName: nvidia in every GPU pod)`));
        }
        if (f.sysctls.get("net.core.bpf_jit_harden") !== "1") {
          out.push(finding(this, loaded, n, "patches", `GPU worker on Talos ${contract.name} does not set net.core.bpf_jit_harden to 1`, 'add machine.sysctls: {net.core.bpf_jit_harden: "1"} (Talos hardens it to 2, which the NVIDIA container toolkit cannot work with)'));
        }
      }
    }
    return out;
  },
};

// --- control planes ------------------------------------------------------------------------------------------------

const EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

const controlPlaneLbLabel: PolicyRule = {
  code: "controlplane-lb-label",
  severity: "warning",
  summary: `Control planes carry the ${EXCLUDE_LB_LABEL} label (Talos adds it itself from 1.8).`,
  check(loaded, ctx) {
    return loaded.nodes
      .filter((n) => n.controlPlane)
      .filter((n) => {
        const contract = contractFor(n.talosVersion);
        return contract !== undefined && !contract.addExcludeFromExternalLoadBalancer() && !(EXCLUDE_LB_LABEL in facts(n, ctx).nodeLabels);
      })
      .map((n) => finding(this, loaded, n, "nodeLabels", `control plane lacks the ${EXCLUDE_LB_LABEL} label (Talos ${n.talosVersion} does not add it)`, `add nodeLabels: {${EXCLUDE_LB_LABEL}: ""} to the controlPlane group`));
  },
};

const controlPlaneNoNvidia: PolicyRule = {
  code: "controlplane-no-nvidia",
  severity: "error",
  summary: "Control planes never get NVIDIA extensions, kernel modules or the nvidia runtime.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of loaded.nodes.filter((x) => x.controlPlane)) {
      const f = facts(n, ctx);
      const g = gpuExtensions(f.officialExtensions);
      const exts = [...g.kmods.map((k) => k.name), ...g.toolkits.map((t) => t.name)];
      if (exts.length > 0) out.push(finding(this, loaded, n, "schematic", `control plane has NVIDIA extensions: ${exts.join(", ")}`, "remove them from the control plane's schematic (GPU workloads belong on workers)"));
      if (defaultRuntimeOf(f) === "nvidia") out.push(finding(this, loaded, n, "patches", "control plane uses nvidia as its default container runtime", `remove the ${CRI_CUSTOMIZATION_PATH} customization from control-plane patches (keep runc)`));
      const mods = NVIDIA_MODULES.filter((m) => f.kernelModules.has(m));
      if (mods.length > 0) out.push(finding(this, loaded, n, "kernelModules", `control plane loads NVIDIA kernel modules: ${mods.join(", ")}`, "load them only on GPU workers"));
    }
    return out;
  },
};

// --- networking ----------------------------------------------------------------------------------------------------

const staticAddressing: PolicyRule = {
  code: "static-addressing",
  severity: "error",
  summary: "Every node has a static address, no DHCP, and its ipAddress is one of its interface addresses.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of loaded.nodes) {
      const f = facts(n, ctx);
      const dhcp = f.interfaces.filter((i) => i.dhcp);
      for (const d of dhcp) out.push(finding(this, loaded, n, "networkInterfaces", `DHCP is enabled (${d.from})`, "remove dhcp: true and give the interface static addresses"));
      for (const d of f.dhcpDocuments) out.push(finding(this, loaded, n, "patches", `DHCP is enabled by a ${d} document`, "remove the DHCP document and configure static addresses"));
      const addresses = [...f.interfaces.flatMap((i) => i.addresses), ...f.documentAddresses].map(addressOf);
      if (addresses.length === 0) {
        out.push(finding(this, loaded, n, "networkInterfaces", "node has no static address", `add networkInterfaces: [{interface: <name>, addresses: [${n.ipAddresses[0] ?? "<ip>"}/<prefix>], routes: [...]}]`));
        continue;
      }
      for (const ip of n.ipAddresses.filter(isIpAddress)) {
        if (!addresses.includes(ip)) out.push(finding(this, loaded, n, "ipAddress", `ipAddress ${ip} is not one of the node's interface addresses (${addresses.join(", ")})`, "make ipAddress one of the addresses in networkInterfaces (or fix the interface address)"));
      }
    }
    return out;
  },
};

const nameservers: PolicyRule = {
  code: "nameservers",
  severity: "warning",
  summary: "Nameservers are set explicitly (the seed uses 1.1.1.1 and 1.0.0.1).",
  check(loaded, ctx) {
    return loaded.nodes
      .filter((n) => facts(n, ctx).nameservers.length === 0)
      .map((n) => finding(this, loaded, n, "nameservers", "no nameservers set (Talos silently defaults to 1.1.1.1 and 8.8.8.8)", "add nameservers: [1.1.1.1, 1.0.0.1] (e.g. to the controlPlane and worker groups)"));
  },
};

const timeServers: PolicyRule = {
  code: "time-servers",
  severity: "warning",
  summary: "Time servers are set explicitly (the seed uses time.cloudflare.com).",
  check(loaded, ctx) {
    return loaded.nodes
      .filter((n) => facts(n, ctx).timeServers.length === 0)
      .map((n) => finding(this, loaded, n, "patches", "no time servers set (Talos silently defaults to time.cloudflare.com)", 'add a patch: "machine: {time: {servers: [time.cloudflare.com]}}" (or a TimeSyncConfig document)'));
  },
};

// --- versions ------------------------------------------------------------------------------------------------------

const talosVersionRule: PolicyRule = {
  code: "talos-version",
  severity: "error",
  summary: `talosVersion is a Talos release talform supports (${SUPPORTED_TALOS_MINORS.join(", ")}).`,
  check(loaded) {
    const v = loaded.nodes[0]?.talosVersion;
    if (v === undefined) return [];
    const c = contractFor(v);
    if (!c) return [];
    if (!c.supported) {
      return [topLevel(this, loaded, "talosVersion", `Talos ${v} is not supported; talform supports ${SUPPORTED_TALOS_MINORS.join(", ")}`, `set talosVersion to a supported release, e.g. ${TALOS_MINORS[TALOS_MINORS.length - 2]!.latestPatch}`)];
    }
    // A patch newer than talform knows of is allowed (Talos releases faster than talform), with a warning.
    const latest = parseTalosVersion(c.facts!.latestPatch)!;
    const given = parseTalosVersion(v)!;
    if (compareTalosVersions(given, latest) > 0) {
      return [{ ...topLevel(this, loaded, "talosVersion", `Talos ${v} is newer than the latest ${c.name} release talform knows (${c.facts!.latestPatch}); it is assumed to behave like ${c.name}`, "update talform, or pin talosVersion to a release it knows"), severity: "warning" }];
    }
    return [];
  },
};

function minorOf(v: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];

const kubernetesVersionRule: PolicyRule = {
  code: "kubernetes-version",
  severity: "error",
  summary: "kubernetesVersion is within the range the Talos version supports.",
  check(loaded) {
    const n = loaded.nodes[0];
    const facts = n ? contractFor(n.talosVersion)?.facts : undefined;
    const k = n ? minorOf(n.kubernetesVersion) : undefined;
    if (!n || !facts || !k) return [];
    const min = minorOf(facts.kubernetes.min)!;
    const max = minorOf(facts.kubernetes.max)!;
    if (cmp(k, min) >= 0 && cmp(k, max) <= 0) return [];
    return [topLevel(this, loaded, "kubernetesVersion", `Kubernetes ${n.kubernetesVersion} is not supported by Talos ${facts.minor} (supported: ${facts.kubernetes.min} to ${facts.kubernetes.max})`, `set kubernetesVersion between ${facts.kubernetes.min} and ${facts.kubernetes.max}, e.g. ${facts.defaultKubernetesVersion}`)];
  },
};

// --- extensions ----------------------------------------------------------------------------------------------------

const extensionName: PolicyRule = {
  code: "extension-name",
  severity: "warning",
  summary: "System extension names are official Image Factory extensions (siderolabs/<name>).",
  runsOnInvalid: true,
  check(loaded, ctx) {
    const known = ctx.knownExtensions ?? BUILTIN_EXTENSIONS;
    const out: Diagnostic[] = [];
    type Raw = Record<string, unknown>;
    const obj = (v: unknown): Raw | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Raw) : undefined);
    const config = obj(loaded.config ?? loaded.raw);
    if (!config) return out;
    const nodes = Array.isArray(config.nodes) ? config.nodes : [];
    const containers: [DocPath, Raw | undefined][] = [
      [["controlPlane"], obj(config.controlPlane)],
      [["worker"], obj(config.worker)],
      ...nodes.map((n, i): [DocPath, Raw | undefined] => [["nodes", i], obj(n)]),
    ];
    for (const [base, c] of containers) {
      const node = base[0] === "nodes" && typeof c?.hostname === "string" ? c.hostname : undefined;
      for (const key of ["schematic", "imageSchematic"] as const) {
        const exts = obj(obj(obj(c?.[key])?.customization)?.systemExtensions)?.officialExtensions;
        (Array.isArray(exts) ? exts : []).forEach((ext: unknown, j) => {
          if (typeof ext !== "string" || known.has(ext)) return;
          const p: DocPath = [...base, key, "customization", "systemExtensions", "officialExtensions", j];
          const official = ext.startsWith("siderolabs/");
          out.push({
            severity: this.severity,
            code: this.code,
            message: official ? `"${ext}" is not a known official extension` : `"${ext}" does not look like an official extension (they are named siderolabs/<name>)`,
            hint: ctx.knownExtensions ? "check the name against the Image Factory's extension list for this Talos version" : "check the name against https://github.com/siderolabs/extensions (talform's built-in list is short; disable this rule for custom extensions)",
            path: p.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("").replace(/^\./, ""),
            source: loaded.sourceMap?.positionOf(p) ?? { file: loaded.path, line: 1, col: 1 },
            ...(node ? { node } : {}),
          });
        });
      }
    }
    return out;
  },
};

// --- secrets -------------------------------------------------------------------------------------------------------

const SECRET_FILE_RE = /^talsecret.*\.(ya?ml|json)$/;
const PROBED_SECRET_FILES = ["talsecret.yaml", "talsecret.sops.yaml", "talsecret.yml", "talsecret.sops.yml"];

function secretFiles(ctx: PolicyContext): string[] {
  const names = ctx.files.list ? ctx.files.list(ctx.talconfigDir).filter((f) => SECRET_FILE_RE.test(f)) : PROBED_SECRET_FILES.filter((f) => ctx.files.exists(join(ctx.talconfigDir, f)));
  return [...names].sort();
}

function isSopsEncryptedYaml(text: string): boolean {
  try {
    const doc = YAML.parse(text, { maxAliasCount: 100, logLevel: "silent" }) as unknown;
    const sops = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>).sops : undefined;
    return typeof sops === "object" && sops !== null && ("mac" in sops || "lastmodified" in sops) && text.includes("ENC[");
  } catch {
    return false;
  }
}

const secretsEncrypted: PolicyRule = {
  code: "secrets-encrypted",
  severity: "error",
  summary: "talsecret* files beside talconfig.yaml are SOPS-encrypted.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const name of secretFiles(ctx)) {
      const file = join(ctx.talconfigDir, name);
      const text = ctx.files.read(file);
      if (text === undefined || isSopsEncryptedYaml(text)) continue;
      out.push({ severity: this.severity, code: this.code, message: `${name} holds cluster secrets in plain text`, hint: `encrypt it before committing: sops --encrypt --in-place ${name}`, source: { file, line: 1, col: 1 } });
    }
    void loaded;
    return out;
  },
};

/** Secret leaves of a Talos secrets bundle (the material SOPS must encrypt). */
export const BUNDLE_SECRET_PATHS: readonly (readonly string[])[] = [
  ["cluster", "secret"],
  ["secrets", "bootstraptoken"],
  ["secrets", "secretboxencryptionsecret"],
  ["trustdinfo", "token"],
  ["certs", "etcd", "key"],
  ["certs", "k8s", "key"],
  ["certs", "k8saggregator", "key"],
  ["certs", "k8sserviceaccount", "key"],
  ["certs", "os", "key"],
];

/** Whether SOPS would encrypt the value at `path` under a creation rule (a key anywhere on the path decides). */
export function sopsEncryptsPath(rule: { encryptedRegex?: string; unencryptedRegex?: string; encryptedSuffix?: string; unencryptedSuffix?: string }, path: readonly string[]): boolean {
  const anyKey = (pred: (k: string) => boolean) => path.some(pred);
  if (rule.encryptedRegex) {
    const re = new RegExp(rule.encryptedRegex);
    return anyKey((k) => re.test(k));
  }
  if (rule.unencryptedRegex) {
    const re = new RegExp(rule.unencryptedRegex);
    return !anyKey((k) => re.test(k));
  }
  if (rule.encryptedSuffix) return anyKey((k) => k.endsWith(rule.encryptedSuffix!));
  if (rule.unencryptedSuffix) return !anyKey((k) => k.endsWith(rule.unencryptedSuffix!));
  return true;
}

const sopsCreationRule: PolicyRule = {
  code: "sops-creation-rule",
  severity: "error",
  summary: ".sops.yaml has a creation rule for each talsecret* file, and its encrypted_regex covers every secret key of the bundle.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const name of secretFiles(ctx)) {
      const file = join(ctx.talconfigDir, name);
      const lookup = ctx.sopsCreationRuleFor ? { rule: ctx.sopsCreationRuleFor(file), config: undefined } : sopsRuleFromFile(file, ctx);
      const at: SourcePosition = lookup.config ?? { file, line: 1, col: 1 };
      if (!lookup.rule) {
        out.push({ severity: this.severity, code: this.code, message: `no .sops.yaml creation rule matches ${name}`, hint: `add to .sops.yaml: creation_rules: [{path_regex: ${name.replace(/\./g, "\\\\.")}$, age: <recipient>}]`, source: at });
        continue;
      }
      let uncovered: string[];
      try {
        uncovered = BUNDLE_SECRET_PATHS.filter((p) => !sopsEncryptsPath(lookup.rule!, p)).map((p) => p.join("."));
      } catch (e) {
        out.push({ severity: this.severity, code: this.code, message: `the .sops.yaml rule for ${name} has an invalid regex: ${(e as Error).message}`, hint: "fix the regular expression", source: at });
        continue;
      }
      if (uncovered.length > 0) {
        out.push({ severity: this.severity, code: this.code, message: `the .sops.yaml rule for ${name} leaves secrets unencrypted: ${uncovered.join(", ")}`, hint: "drop encrypted_regex for talsecret files, or use one that matches the bundle's keys, e.g. ^(secret|bootstraptoken|secretboxencryptionsecret|aescbcencryptionsecret|token|key|crt)$", source: at });
      }
    }
    void loaded;
    return out;
  },
};

/** Every policy rule, in the order they are documented. */
export const POLICY_RULES: readonly PolicyRule[] = [
  talosVersionRule,
  kubernetesVersionRule,
  extensionName,
  gpuContainerToolkit,
  gpuDriverFlavour,
  gpuKernelModules,
  gpuRuntime,
  controlPlaneLbLabel,
  controlPlaneNoNvidia,
  staticAddressing,
  nameservers,
  timeServers,
  secretsEncrypted,
  sopsCreationRule,
];

import { isAbsolute, resolve } from "node:path";
import type { TalosContract } from "../contract/index.js";
import { TalformError } from "../diagnostics/index.js";
import {
  applyConfigPatches,
  applyStrategicPatch,
  cloneNode,
  documentKind,
  encodeDocuments,
  generateMachineConfig,
  goMap,
  isYamlMap,
  loadConfigPatches,
  parseYamlDocuments,
  struct,
  type ConfigPatch,
  type GenerateMachineConfigInput,
  type GenerateOptions,
  type YamlMap,
  type YamlNode,
} from "../machineconfig/index.js";
import type { SecretsBundle } from "../secrets/bundle.js";
import { substituteFileText, type PatchRef, type ResolvedNode, type Talconfig } from "../talconfig/index.js";
import { configField, configTemplateData } from "./config-fields.js";
import { isTemplated } from "../util/go-template.js";
import { executeTemplate } from "./template.js";
import { data, nodeDocuments } from "./multidocs.js";
import { presetPatches } from "./presets.js";

export type TalosMode = "metal" | "cloud" | "container";

export interface RenderContext {
  /** The talconfig top level (cluster-wide keys). */
  readonly config: Talconfig;
  readonly bundle: SecretsBundle;
  readonly contract: TalosContract;
  /** The installer image of a node (Image Factory URL from its schematic, or `talosImageURL:<version>`). */
  readonly installImage: (node: ResolvedNode) => string;
  /**
   * Text of a file talconfig refers to with `@file` (patches, machineFiles, inlineManifests), already
   * SOPS-decrypted when it was encrypted; throws when missing. Env substitution happens here.
   */
  readonly readFile: (absPath: string) => string;
  /** Variables for `${VAR}` in files (LoadedTalconfig.env). */
  readonly env: ReadonlyMap<string, string>;
  /** Resolves `@relative` paths (the talconfig folder). */
  readonly dir: string;
  readonly mode?: TalosMode;
}

export interface RenderedNode {
  readonly documents: YamlMap[];
  readonly text: string;
  /** The talconfig patches applied, with their text as applied (templated, env-substituted), in order. */
  readonly patches: readonly AppliedPatch[];
}

export interface AppliedPatch {
  readonly ref: PatchRef;
  readonly text: string;
}

const v1 = (docs: readonly YamlMap[]): YamlMap => {
  const d = docs.find((x) => documentKind(x) === "v1alpha1");
  if (!d) throw new Error("generated config has no v1alpha1 document");
  return d;
};

function child(map: YamlMap, key: string): YamlMap {
  const v = map.get(key);
  if (isYamlMap(v)) return v;
  const m: YamlMap = new Map();
  map.set(key, m);
  return m;
}

function nodeError(node: ResolvedNode, message: string, hint?: string): TalformError {
  return new TalformError(`node ${node.hostname}: ${message}`, { code: "genconfig", ...(hint ? { hint } : {}) });
}

/** `@path` or `path` → absolute, resolved as genconfig's file loader resolves it (run.ts referencedFiles). */
function absPath(dir: string, ref: string): string {
  const p = ref.startsWith("@") ? ref.slice(1) : ref;
  return isAbsolute(p) ? p : resolve(dir, p);
}

/** `@file` content of machineFiles / inlineManifests: read (decrypted) and env-substituted unless skipEnvsubst. */
function fileContent(
  ctx: RenderContext,
  content: string | undefined,
  skipEnvsubst: boolean | undefined,
): string | undefined {
  if (content === undefined || !content.startsWith("@")) return content;
  const file = absPath(ctx.dir, content);
  const text = ctx.readFile(file);
  if (skipEnvsubst) return text;
  const r = substituteFileText(text, file, ctx.env);
  const err = r.diagnostics.find((d) => d.severity === "error");
  if (err) throw new TalformError(err.message, { code: "envsubst", ...(err.hint ? { hint: err.hint } : {}) });
  return r.text;
}

/** The `generate.With…` options of the cluster (talhelper's NewClusterInput). */
export function clusterOptions(config: Talconfig, mode: TalosMode | undefined): GenerateOptions {
  return {
    additionalSubjectAltNames: config.additionalApiServerCertSans ?? [],
    additionalMachineCertSANs: config.additionalMachineCertSans ?? [],
    allowSchedulingOnControlPlanes:
      config.allowSchedulingOnControlPlanes === true || config.allowSchedulingOnMasters === true,
    ...(config.domain ? { dnsDomain: config.domain } : {}),
    ...(config.clusterPodNets ? { podSubnets: config.clusterPodNets } : {}),
    ...(config.clusterSvcNets ? { serviceSubnets: config.clusterSvcNets } : {}),
    ...(mode === "container" ? {} : {}),
  };
}

/**
 * Renders one node's machine config as `talhelper genconfig` does (pkg/talos/nodeconfig.go, multidocs.go,
 * pkg/generate/config.go), on Talos's generator for the node's version contract:
 *  1. generate the base config for the role;
 *  2. node keys written into the v1alpha1 document (legacy network fields before 1.12, install disk/selector,
 *     kernel modules, labels/annotations/taints, files, certSANs, schematic kernel args) and the installer image;
 *  3. label/annotation templates; cniConfig and inlineManifests;
 *  4. the node's extra documents as one strategic-merge patch; presets;
 *  5. patches: group and node (one pass), then global (second pass) — each pass templated against the config so far;
 *  6. `extraManifests` (deprecated in talhelper, still honoured): each file templated against the final config and
 *     its documents appended, not merged — as talhelper appends them to the rendered text.
 */
export function renderNode(node: ResolvedNode, ctx: RenderContext): RenderedNode {
  const { contract: c, config } = ctx;
  const multiK8s = c.multidocKubernetesConfigSupported();
  const image = ctx.installImage(node);
  const unattended = c.unattendedInstallConfig();
  let docs = generateBase({
    bundle: ctx.bundle,
    contract: c,
    machineType: node.role,
    clusterName: config.clusterName,
    endpoint: config.endpoint,
    kubernetesVersion: node.kubernetesVersion,
    installImage: image,
    // Talos ≥ 1.14 takes the install disk from the generator input (UnattendedInstallConfig); older versions get it
    // written into machine.install below, as talhelper does.
    ...(unattended && node.installDisk && !node.installDiskSelector ? { installDisk: node.installDisk } : {}),
    options: clusterOptions(config, ctx.mode),
  });
  const root = v1(docs);
  const machine = child(root, "machine");

  // Legacy network fields (talhelper GenerateNodeConfig, contract < 1.12).
  if (!c.multidocNetworkConfigSupported()) {
    const network = child(machine, "network");
    if (!node.ignoreHostname) network.set("hostname", node.hostname);
    if (node.nameservers && node.nameservers.length > 0) network.set("nameservers", [...node.nameservers]);
    if (node.disableSearchDomain) network.set("disableSearchDomain", true);
    if (node.networkInterfaces && node.networkInterfaces.length > 0)
      network.set("interfaces", data(node.networkInterfaces)!);
  }

  // applyNodeOverride.
  const legacyInstall = !unattended || node.installDiskSelector !== undefined;
  if (legacyInstall) {
    const install = child(machine, "install");
    if (node.installDisk) install.set("disk", node.installDisk);
    if (node.installDiskSelector) install.set("diskSelector", data(node.installDiskSelector)!);
    install.set("image", image);
    if (!install.has("wipe")) install.set("wipe", false);
  }
  if (node.machineDisks && node.machineDisks.length > 0) machine.set("disks", data(node.machineDisks)!);
  if (node.kernelModules && node.kernelModules.length > 0 && !c.multidocKernelModuleConfigSupported()) {
    machine.set("kernel", struct([["modules", data(node.kernelModules)!]]));
  }
  const [labels, labelTemplates] = split(node.nodeLabels);
  const [annotations, annotationTemplates] = split(node.nodeAnnotations);
  // Talos ≥ 1.14 keeps node labels/annotations/taints in KubeNodeConfig; they are merged there (below) so the
  // generated control-plane role label and taint stay.
  if (!multiK8s) {
    if (node.nodeAnnotations) machine.set("nodeAnnotations", goMap(annotations));
    if (node.nodeLabels) machine.set("nodeLabels", goMap(labels));
    if (node.nodeTaints) machine.set("nodeTaints", goMap(node.nodeTaints));
  }
  if (node.machineFiles && node.machineFiles.length > 0) {
    machine.set(
      "files",
      node.machineFiles.map((f) =>
        struct([
          ["content", fileContent(ctx, f.content, f.skipEnvsubst)],
          ["permissions", f.permissions],
          ["path", f.path],
          ["op", f.op],
        ]),
      ),
    );
  }
  const schematicArgs = node.schematic?.customization?.extraKernelArgs ?? [];
  if (schematicArgs.length > 0 && !node.machineSpec?.useUKI && !c.grubUseUKICmdlineDefault() && legacyInstall) {
    const install = child(machine, "install");
    const existing = install.get("extraKernelArgs");
    install.set("extraKernelArgs", [...(Array.isArray(existing) ? existing : []), ...schematicArgs]);
  }
  if (node.certSANs && node.certSANs.length > 0) {
    const existing = machine.get("certSANs");
    machine.set("certSANs", [...(Array.isArray(existing) ? existing : []), ...node.certSANs]);
  }

  // Templated labels/annotations, rendered against the config so far (talhelper templateConfig). The snapshot of the
  // config (a deep copy) is taken only when there is a template to render.
  const templated = Object.keys(labelTemplates).length > 0 || Object.keys(annotationTemplates).length > 0;
  const templateData = templated ? configTemplateData(cloneNode(root)) : undefined;
  const rendered = (items: Record<string, string>, what: string): Record<string, string> =>
    Object.fromEntries(
      Object.entries(items).map(([k, t]) => [
        k,
        executeTemplate(t, templateData, configField, `node ${node.hostname}: ${what} "${k}"`),
      ]),
    );
  const renderedLabels = rendered(labelTemplates, "nodeLabels");
  const renderedAnnotations = rendered(annotationTemplates, "nodeAnnotations");
  if (!multiK8s) {
    if (Object.keys(renderedLabels).length > 0) machine.set("nodeLabels", goMap({ ...labels, ...renderedLabels }));
    if (Object.keys(renderedAnnotations).length > 0)
      machine.set("nodeAnnotations", goMap({ ...annotations, ...renderedAnnotations }));
  }

  // Cluster-wide keys talhelper sets in GenerateConfig.
  docs = applyCniAndManifests(docs, root, ctx, c);

  // Node documents (+ Talos ≥ 1.14 node labels), as one strategic-merge patch.
  const extra = nodeDocuments(node, c);
  if (multiK8s && (node.nodeLabels || node.nodeAnnotations || node.nodeTaints)) {
    extra.push(
      struct([
        ["apiVersion", "v1alpha1"],
        ["kind", "KubeNodeConfig"],
        ["labels", node.nodeLabels ? goMap({ ...labels, ...renderedLabels }) : undefined],
        ["annotations", node.nodeAnnotations ? goMap({ ...annotations, ...renderedAnnotations }) : undefined],
        ["taints", node.nodeTaints ? goMap(node.nodeTaints) : undefined],
      ]),
    );
  }
  docs = applyStrategicPatch(docs, extra, { machinery: c });
  const presets = presetPatches(node, c);
  if (presets.length > 0) docs = applyConfigPatches(docs, presets, { machinery: c });

  // Patches: group + node, then global.
  const applied: AppliedPatch[] = [];
  const passes = [node.patches.filter((p) => p.scope !== "global"), node.patches.filter((p) => p.scope === "global")];
  for (const pass of passes) {
    if (pass.length === 0) continue;
    const current = configTemplateData(cloneNode(v1(docs)));
    const texts: string[] = [];
    for (const p of pass) {
      const where = `${p.path} (${p.file ?? "inline"})`;
      if (p.file) {
        const text = templatedFileText(ctx, p.file, current, where);
        if (text !== "") texts.push(text); // talhelper skips empty patch files
      } else {
        texts.push(executeTemplate(p.text, current, configField, where));
      }
      applied.push({ ref: p, text: texts[texts.length - 1]! });
    }
    // Every text is patch content now (files were read above): mark inline so nothing is read as a file name.
    const patches: ConfigPatch[] = loadConfigPatches(
      texts.map((t) => (/\s/.test(t) || t.startsWith("[") || t.startsWith("{") ? t : `${t}\n`)),
      () => {
        throw nodeError(node, "internal: patch text read as a file");
      },
    );
    try {
      docs = applyConfigPatches(docs, patches, { machinery: c });
    } catch (e) {
      if (e instanceof TalformError) throw nodeError(node, e.message, e.diagnostics[0]?.hint);
      throw e;
    }
  }
  // The documents are shaped as Talos's decode → encode leaves them: the node-documents patch above always runs, and
  // every patch application re-shapes its result (canonicalize is idempotent, so another pass would change nothing).
  // Appended extraManifests documents are shaped the same way.
  const manifests = extraManifestDocuments(node, ctx, docs);
  if (manifests.length > 0) docs = applyStrategicPatch([...docs, ...manifests], [], { machinery: c });
  return { documents: docs, text: encodeDocuments(docs), patches: applied };
}

/** Templated, env-substituted text of a patch or manifest file; empty files give "" (talhelper skips them). */
function templatedFileText(
  ctx: RenderContext,
  file: string,
  data: ReturnType<typeof configTemplateData>,
  where: string,
): string {
  const raw = ctx.readFile(file);
  if (raw.trim() === "") return "";
  const r = substituteFileText(executeTemplate(raw, data, configField, where), file, ctx.env);
  const err = r.diagnostics.find((d) => d.severity === "error");
  if (err) throw new TalformError(err.message, { code: "envsubst", ...(err.hint ? { hint: err.hint } : {}) });
  return r.text;
}

/** The documents of the node's `extraManifests` files (paths with or without `@`), in order. */
function extraManifestDocuments(node: ResolvedNode, ctx: RenderContext, docs: readonly YamlMap[]): YamlMap[] {
  if (!node.extraManifests || node.extraManifests.length === 0) return [];
  const current = configTemplateData(cloneNode(v1(docs)));
  return node.extraManifests.flatMap((ref) => {
    const file = absPath(ctx.dir, ref);
    const parsed = parseYamlDocuments(templatedFileText(ctx, file, current, `extraManifests ${ref}`));
    if (parsed.errors.length > 0)
      throw nodeError(node, `extraManifests ${ref}: ${parsed.errors[0]}`, "fix the YAML of the manifest file");
    return parsed.documents.flatMap((d, i) => {
      if (d === null || d === undefined) return [];
      if (!isYamlMap(d) || typeof d.get("kind") !== "string") {
        throw nodeError(
          node,
          `extraManifests ${ref}: document ${i + 1} is not a Talos config document (no kind)`,
          "extraManifests append Talos machine-config documents; put Kubernetes manifests in inlineManifests",
        );
      }
      return [d];
    });
  });
}

// Nodes of one role mostly share their generator input: each distinct base config (per secrets bundle) is generated
// once, and every node gets its own copy to layer its settings on.
const generatedBases = new WeakMap<SecretsBundle, Map<string, readonly YamlMap[]>>();
const GENERATED_BASES_MAX = 64;

function generateBase(input: GenerateMachineConfigInput): YamlMap[] {
  const { bundle, contract, ...rest } = input;
  const key = JSON.stringify([contract.name, rest]);
  let bases = generatedBases.get(bundle);
  if (!bases) generatedBases.set(bundle, (bases = new Map()));
  let docs = bases.get(key);
  if (!docs) {
    docs = generateMachineConfig(input);
    if (bases.size >= GENERATED_BASES_MAX) bases.clear();
    bases.set(key, docs);
  }
  return docs.map((d) => cloneNode(d));
}

function split(map: Readonly<Record<string, string>> | undefined): [Record<string, string>, Record<string, string>] {
  const plain: Record<string, string> = {};
  const templated: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) (isTemplated(v) ? templated : plain)[k] = v;
  return [plain, templated];
}

/** cniConfig and inlineManifests (talhelper GenerateConfig), per contract. */
function applyCniAndManifests(docs: YamlMap[], root: YamlMap, ctx: RenderContext, c: TalosContract): YamlMap[] {
  const { config } = ctx;
  const cluster = child(root, "cluster");
  const manifests = (config.inlineManifests ?? []).map((m) => ({
    name: m.name,
    contents: fileContent(ctx, m.contents, m.skipEnvsubst) ?? "",
  }));
  let out = docs;
  if (c.multidocKubernetesConfigSupported()) {
    const cni = config.cniConfig;
    if (cni) {
      out = out.filter(
        (d) =>
          documentKind(d) !== "KubeFlannelCNIConfig" &&
          !(documentKind(d) === "KubeExternalManifestConfig" && d.get("name") === "custom-cni"),
      );
      const doc = (kind: string, entries: readonly (readonly [string, YamlNode | undefined])[]) =>
        struct([["apiVersion", "v1alpha1"], ["kind", kind], ...entries]);
      if (cni.name === "flannel") {
        out.push(
          doc("KubeFlannelCNIConfig", [
            ["backendType", "vxlan"],
            ["backendPort", 4789],
            [
              "extraArgs",
              cni.flannel?.extraArgs && cni.flannel.extraArgs.length > 0 ? [...cni.flannel.extraArgs] : undefined,
            ],
            ["kubeNetworkPoliciesEnabled", cni.flannel?.kubeNetworkPoliciesEnabled],
          ]),
        );
      }
      if (cni.name === "custom")
        (cni.urls ?? []).forEach((url, i) =>
          out.push(
            doc("KubeExternalManifestConfig", [
              ["name", i === 0 ? "custom-cni" : `custom-cni-${i}`],
              ["url", url],
            ]),
          ),
        );
    }
    for (const m of manifests)
      out.push(
        struct([
          ["apiVersion", "v1alpha1"],
          ["kind", "KubeInlineManifestConfig"],
          ["name", m.name],
          ["manifest", m.contents],
        ]),
      );
    return out;
  }
  if (config.cniConfig) {
    const network = child(cluster, "network");
    network.set("cni", data(config.cniConfig)!);
  }
  if (manifests.length > 0)
    cluster.set(
      "inlineManifests",
      manifests.map((m) =>
        struct([
          ["name", m.name],
          ["contents", m.contents],
        ]),
      ),
    );
  return out;
}

import type { TalosContract } from "../contract/index.js";
import { TalformError } from "../diagnostics/index.js";
import { goMap, struct, type YamlMap, type YamlNode } from "../machineconfig/index.js";
import type { ResolvedNode } from "../talconfig/index.js";
import { networkDocuments } from "./network.js";

/**
 * The extra documents talhelper's `AddMultiDocs` builds from node keys, in its order: ResolverConfig and
 * HostnameConfig (Talos ≥ 1.12), firewall, extension services, volumes, user volumes, then the network documents
 * (Talos ≥ 1.12). They are applied to the generated config as ONE strategic-merge patch, so singleton documents the
 * generator already emitted (HostnameConfig, ResolverConfig on 1.14) are merged rather than duplicated.
 * talform adds `KernelModuleConfig` documents where the version has them (Talos ≥ 1.14).
 */
export function nodeDocuments(node: ResolvedNode, contract: TalosContract): YamlMap[] {
  const docs: YamlMap[] = [];
  const doc = (kind: string, entries: readonly (readonly [string, YamlNode | undefined])[]): YamlMap =>
    struct([["apiVersion", "v1alpha1"], ["kind", kind], ...entries]);
  const multiNet = contract.multidocNetworkConfigSupported();

  if (multiNet && ((node.nameservers?.length ?? 0) > 0 || node.disableSearchDomain)) {
    docs.push(
      doc("ResolverConfig", [
        ["nameservers", (node.nameservers ?? []).map((address) => struct([["address", address]]))],
        ["searchDomains", struct([["disableDefault", node.disableSearchDomain === true]])],
      ]),
    );
  }
  if (multiNet) {
    docs.push(
      node.ignoreHostname
        ? doc("HostnameConfig", [["auto", "stable"]])
        : doc("HostnameConfig", [
            ["auto", "off"],
            ["hostname", node.hostname],
          ]),
    );
  }
  if (node.ingressFirewall) {
    const fw = node.ingressFirewall;
    docs.push(doc("NetworkDefaultActionConfig", [["ingress", fw.defaultAction ?? ""]]));
    for (const rule of fw.rules ?? []) {
      docs.push(
        doc("NetworkRuleConfig", [
          ["name", rule.name ?? ""],
          [
            "portSelector",
            rule.portSelector
              ? struct([
                  ["ports", rule.portSelector.ports ? [...rule.portSelector.ports] : undefined],
                  ["protocol", rule.portSelector.protocol],
                ])
              : undefined,
          ],
          [
            "ingress",
            (rule.ingress ?? []).map((i) =>
              struct([
                ["subnet", i.subnet],
                ["except", i.except],
              ]),
            ),
          ],
        ]),
      );
    }
  }
  for (const svc of node.extensionServices ?? []) {
    docs.push(
      doc("ExtensionServiceConfig", [
        ["name", svc.name],
        [
          "configFiles",
          svc.configFiles?.map((f) =>
            struct([
              ["content", f.content],
              ["mountPath", f.mountPath],
            ]),
          ),
        ],
        ["environment", svc.environment ? [...svc.environment] : undefined],
      ]),
    );
  }
  unique(node.volumes ?? [], "volumes");
  for (const v of node.volumes ?? [])
    docs.push(
      doc("VolumeConfig", [
        ["name", v.name],
        ["provisioning", data(v.provisioning)],
        ["encryption", data(v.encryption)],
      ]),
    );
  unique(node.userVolumes ?? [], "userVolumes");
  for (const v of node.userVolumes ?? []) {
    docs.push(
      doc("UserVolumeConfig", [
        ["name", v.name],
        ["volumeType", data(v.volumeType)],
        ["provisioning", data(v.provisioning)],
        ["filesystem", data(v.filesystem)],
        ["encryption", data(v.encryption)],
      ]),
    );
  }
  if (multiNet && node.networkInterfaces && node.networkInterfaces.length > 0)
    docs.push(...networkDocuments(node.networkInterfaces));
  if (contract.multidocKernelModuleConfigSupported()) {
    for (const m of node.kernelModules ?? [])
      docs.push(
        doc("KernelModuleConfig", [
          ["name", m.name],
          ["parameters", m.parameters && m.parameters.length > 0 ? [...m.parameters] : undefined],
        ]),
      );
  }
  return docs;
}

function unique(items: readonly { name: string }[], key: string): void {
  const seen = new Set<string>();
  for (const { name } of items) {
    if (seen.has(name))
      throw new TalformError(`${key}: duplicated name "${name}"`, {
        code: "duplicate-volume",
        hint: "give every volume a unique name",
      });
    seen.add(name);
  }
}

/** talconfig data (plain JSON-like values from the schema) → ordered YAML data. */
export function data(v: unknown): YamlNode | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map((x) => data(x) ?? null);
  if (v instanceof Map) return v as YamlMap;
  return goMap(
    new Map(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, data(x) ?? null]),
    ),
  );
}

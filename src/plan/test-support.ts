// Test-only: desired states rendered with talform's own machine-config generator (until genconfig's per-node render
// is wired in, tests build DesiredNodes the same way the adapter will), and observed states derived from them.
import { TalosContract } from "../contract/index.js";
import { parseConfigPatch, renderMachineConfig } from "../machineconfig/index.js";
import { makeTestBundle } from "../machineconfig/test-support.js";
import type { SecretsBundle } from "../secrets/bundle.js";
import { configDigest, kubeletVersionOf, parseConfigDocuments } from "./config-documents.js";
import type { DesiredCluster, DesiredNode, ObservedCluster, ObservedNode } from "./types.js";

export interface NodeFixture {
  readonly hostname: string;
  readonly address: string;
  readonly controlPlane: boolean;
  readonly talosVersion?: string;
  readonly kubernetesVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly schematicId?: string;
  readonly extensions?: readonly string[];
  /** Extra YAML merged into the v1alpha1 document (strategic merge). */
  readonly patch?: string;
}

export interface ClusterFixture {
  readonly clusterName?: string;
  readonly endpoint: string;
  readonly talosVersion: string;
  readonly kubernetesVersion: string;
  readonly nodes: readonly NodeFixture[];
  readonly bundle?: SecretsBundle;
}

let sharedBundle: Promise<SecretsBundle> | undefined;

export function installerFor(version: string, schematicId?: string): string {
  return schematicId
    ? `factory.talos.dev/metal-installer/${schematicId}:${version}`
    : `ghcr.io/siderolabs/installer:${version}`;
}

export async function renderDesired(f: ClusterFixture): Promise<DesiredCluster> {
  const bundle = f.bundle ?? (await (sharedBundle ??= makeTestBundle()));
  const clusterName = f.clusterName ?? "demo";
  const nodes = f.nodes.map((n): DesiredNode => {
    const talosVersion = n.talosVersion ?? f.talosVersion;
    const kubernetesVersion = n.kubernetesVersion ?? f.kubernetesVersion;
    const installImage = installerFor(talosVersion, n.schematicId);
    const labels =
      n.labels && Object.keys(n.labels).length > 0
        ? `  nodeLabels:\n${Object.entries(n.labels)
            .map(([k, v]) => `    ${k}: "${v}"`)
            .join("\n")}\n`
        : "";
    const patch = `machine:\n  network:\n    hostname: ${n.hostname}\n${labels}${n.patch ?? ""}`;
    const { text } = renderMachineConfig({
      bundle,
      contract: TalosContract.parse(talosVersion)!,
      machineType: n.controlPlane ? "controlplane" : "worker",
      clusterName,
      endpoint: f.endpoint,
      kubernetesVersion,
      installDisk: "/dev/sda",
      installImage,
      patches: [parseConfigPatch(patch)],
    });
    return {
      hostname: n.hostname,
      address: n.address,
      controlPlane: n.controlPlane,
      talosVersion,
      installImage,
      ...(n.schematicId ? { schematicId: n.schematicId } : {}),
      extensions: [...(n.extensions ?? [])],
      kubernetesVersion,
      configText: text,
    };
  });
  return { clusterName, nodes };
}

/** What the nodes would report if they ran exactly `desired` (a converged cluster). */
export function observedFrom(
  desired: DesiredCluster,
  over: Readonly<Record<string, Partial<ObservedNode>>> = {},
): ObservedCluster {
  const nodes = desired.nodes.map((d): ObservedNode => {
    const base: ObservedNode = {
      hostname: d.hostname,
      address: d.address,
      reachable: true,
      maintenance: false,
      stage: "running",
      ready: true,
      talosVersion: d.talosVersion,
      ...(d.schematicId ? { schematicId: d.schematicId } : {}),
      extensions: [...d.extensions].sort(),
      configText: d.configText,
      configDigest: configDigest(d.configText),
      bootId: `boot-${d.hostname}`,
      ...(d.controlPlane
        ? { etcd: { member: true, healthy: true, members: desired.nodes.filter((n) => n.controlPlane).length } }
        : {}),
      kubernetesReady: true,
      kubernetesVersion: kubeletVersionOf(parseConfigDocuments(d.configText))!,
    };
    const o = over[d.hostname];
    if (!o) return base;
    const merged = { ...base, ...o };
    return o.configText !== undefined ? { ...merged, configDigest: configDigest(o.configText) } : merged;
  });
  return { nodes, etcdBootstrapped: nodes.some((n) => n.etcd?.member) };
}

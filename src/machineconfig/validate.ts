import type { TalosContract } from "../contract/index.js";
import type { Diagnostic } from "../diagnostics/index.js";
import { documentKind } from "./patch/strategic.js";
import { v1alpha1ConflictDiagnostics } from "./v1alpha1-conflicts.js";
import { isYamlMap, type YamlMap, type YamlNode } from "./yaml/node.js";

/**
 * A subset of Talos's semantic validation (`Config.Validate(mode)`, v1alpha1_validation.go and the HostnameConfig
 * document), for configs that already passed `decodeMachineConfig`. Checked:
 *  - the v1alpha1 document: `machine` present, `persist` not false, machine type known;
 *  - metal mode: install disk or disk selector in `machine.install` (which 1.14 no longer requires: UnattendedInstallConfig
 *    replaces it), `install.extraKernelArgs` together with `install.grubUseUKICmdline: true`;
 *  - container mode: host DNS enabled and forwarding kube-dns to the host;
 *  - CA material by role: control planes need the Talos API CA key; workers must not carry Talos/Kubernetes CA keys;
 *  - `cluster.controlPlane.endpoint` present (unless a KubeClusterConfig carries it) with a host and a valid port; from
 *    1.14 no `cluster.controlPlane` section without it, and no `cluster.serviceAccount` without it;
 *  - `cluster.network.dnsDomain` a DNS name; CNI name flannel/custom/none, and only custom with URLs;
 *  - etcd settings only on control planes;
 *  - HostnameConfig: `auto` or `hostname`, `auto` ∈ off/stable, not both set;
 *  - control-plane-only document kinds (KubeAPIServerConfig, KubeProxyConfig, …) only on control planes;
 *  - every document that replaces a legacy v1alpha1 field against that field (`v1alpha1-conflicts.ts`).
 * Not checked (yet): network interface/bond/VLAN rules, disk/encryption rules, KubeSpan, label/taint syntax, logging,
 * per-document validation of other kinds, Kubernetes version compatibility.
 */
export type ValidationMode = "metal" | "cloud" | "container";

export interface ValidateOptions {
  readonly mode: ValidationMode;
  readonly file?: string;
}

const get = (node: YamlNode | undefined, ...path: string[]): YamlNode | undefined => {
  let cur = node;
  for (const key of path) cur = isYamlMap(cur) ? cur.get(key) : undefined;
  return cur;
};
const nonEmpty = (v: YamlNode | undefined): boolean =>
  v !== undefined && v !== null && v !== "" && !(isYamlMap(v) && v.size === 0) && !(Array.isArray(v) && v.length === 0);

/** Kinds Talos allows on control planes only (machinery 1.14's `ControlplaneOnlyDocument` marker). */
const CONTROL_PLANE_ONLY_KINDS: ReadonlySet<string> = new Set([
  "KubeAPIServerConfig",
  "KubeAdmissionControlConfig",
  "KubeAggregatorCAConfig",
  "KubeAuditPolicyConfig",
  "KubeAuthenticationConfig",
  "KubeAuthorizerConfig",
  "KubeControllerManagerConfig",
  "KubeCoreDNSConfig",
  "KubeEtcdEncryptionConfig",
  "KubeFlannelCNIConfig",
  "KubeProxyConfig",
  "KubeSchedulerConfig",
  "KubeServiceAccountConfig",
  "KubeTalosAPIAccessConfig",
]);

const DNS_NAME =
  /^(?=.{1,253}$)(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;

export function validateMachineConfig(
  documents: readonly YamlMap[],
  contract: TalosContract,
  options: ValidateOptions,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (message: string, path?: string, hint?: string) =>
    out.push({
      severity: "error",
      code: "config-invalid",
      message: options.file ? `${options.file}: ${message}` : message,
      ...(path ? { path } : {}),
      ...(hint ? { hint } : {}),
    });
  const warn = (message: string, path?: string) =>
    out.push({ severity: "warning", code: "config-invalid", message, ...(path ? { path } : {}) });

  const v1 = documents.find((d) => documentKind(d) === "v1alpha1");
  const byKind = (kind: string) => documents.filter((d) => documentKind(d) === kind);
  const hostnameDocs = byKind("HostnameConfig");

  if (v1) {
    const machine = get(v1, "machine");
    if (!isYamlMap(machine)) err("machine instructions are required", "machine");
    if (get(v1, "persist") === false) err(".persist should be enabled", "persist", "remove persist: false");
    const rawType = get(machine, "type");
    const type = rawType === undefined || rawType === "" || rawType === "join" ? "worker" : rawType;
    if (rawType === "join" || rawType === "")
      warn(`machine type "${String(rawType)}" is deprecated, use worker instead`, "machine.type");
    const controlPlane = type === "controlplane" || type === "init";
    if (type !== "worker" && !controlPlane)
      err(`unknown machine type ${JSON.stringify(rawType)}`, "machine.type", "use controlplane or worker");

    if (options.mode === "metal") {
      const install = get(machine, "install");
      // Where UnattendedInstallConfig replaces it (1.14), Talos no longer requires machine.install, with or without
      // the document; a machine.install that is present is still checked.
      if (!isYamlMap(install) && !contract.unattendedInstallConfig()) {
        err(
          'install instructions are required in "metal" mode',
          "machine.install",
          "set machine.install.disk (or diskSelector)",
        );
      } else if (isYamlMap(install)) {
        if (!nonEmpty(get(install, "disk")) && !nonEmpty(get(install, "diskSelector")))
          err("either install disk or diskSelector should be defined", "machine.install");
        if (nonEmpty(get(install, "extraKernelArgs")) && get(install, "grubUseUKICmdline") === true) {
          err(
            "install.extraKernelArgs and install.grubUseUKICmdline can't be used together",
            "machine.install",
            "put kernel arguments into the boot image (Image Factory schematic) instead",
          );
        }
      }
    }

    const hostDNS = get(machine, "features", "hostDNS");
    const resolverHostDNS = byKind("ResolverConfig")
      .map((d) => get(d, "hostDNS"))
      .find((h) => h !== undefined);
    const effectiveHostDNS = resolverHostDNS ?? hostDNS;
    if (options.mode === "container" && contract.containerModeRequiresHostDNS()) {
      if (get(effectiveHostDNS, "enabled") !== true)
        err("feature HostDNS should be enabled in container mode (.machine.features.hostDNS.enabled)");
      if (get(effectiveHostDNS, "forwardKubeDNSToHost") !== true)
        err(
          "feature HostDNS should forward kube-dns to host in container mode (.machine.features.hostDNS.forwardKubeDNSToHost)",
        );
    }
    if (get(hostDNS, "forwardKubeDNSToHost") === true && get(hostDNS, "enabled") !== true) {
      err(
        "feature hostDNS.forwardKubeDNSToHost requires hostDNS.enabled to be true (.machine.features.hostDNS)",
        "machine.features.hostDNS",
      );
    }

    const caCrt = get(machine, "ca", "crt");
    const caKey = get(machine, "ca", "key");
    if (!nonEmpty(caCrt) && !nonEmpty(get(machine, "acceptedCAs")))
      err("issuing CA or some accepted CAs are required (.machine.ca, machine.acceptedCAs)", "machine.ca");
    if (controlPlane && !nonEmpty(caKey))
      err("issuing CA key is required for controlplane nodes (.machine.ca.key)", "machine.ca.key");
    if (!controlPlane && nonEmpty(caKey))
      err("issuing Talos API CA key is not allowed on non-controlplane nodes (.machine.ca)", "machine.ca.key");
    if (!controlPlane && nonEmpty(get(v1, "cluster", "ca", "key")))
      err("issuing Kubernetes API CA key is not allowed on non-controlplane nodes (.cluster.ca)", "cluster.ca.key");
    if (!controlPlane && isYamlMap(get(v1, "cluster", "etcd")))
      err("etcd config is only allowed on control plane machines", "cluster.etcd");

    const cluster = get(v1, "cluster");
    const kubeCluster = byKind("KubeClusterConfig")[0];
    if (!isYamlMap(cluster) && !kubeCluster) {
      err("cluster instructions are required", "cluster");
    } else {
      const endpoint = get(cluster, "controlPlane", "endpoint") ?? get(kubeCluster, "endpoint");
      const controlPlaneSection = get(cluster, "controlPlane");
      // Once the endpoint can live in KubeClusterConfig, Talos refuses a cluster.controlPlane section without one.
      if (
        contract.multidocKubernetesConfigSupported() &&
        isYamlMap(controlPlaneSection) &&
        !nonEmpty(get(controlPlaneSection, "endpoint"))
      ) {
        err(
          "cluster controlplane endpoint is required (.cluster.controlPlane.endpoint); when the endpoint is migrated to the KubeClusterConfig document, the whole .cluster.controlPlane section should be removed (.cluster.controlPlane.localAPIServerPort is migrated to the KubeAPIServerConfig document)",
          "cluster.controlPlane",
          "remove cluster.controlPlane: the endpoint is the KubeClusterConfig document, localAPIServerPort is KubeAPIServerConfig apiPort",
        );
      } else if (!nonEmpty(endpoint))
        err(
          "cluster controlplane endpoint is required",
          "cluster.controlPlane.endpoint",
          "set it to https://<control-plane address>:6443",
        );
      else if (typeof endpoint !== "string" || !validEndpoint(endpoint))
        err(
          `invalid controlplane endpoint: ${JSON.stringify(endpoint)}`,
          "cluster.controlPlane.endpoint",
          "use https://<host>:<port>",
        );
      // The legacy service-account key derives its issuer from the legacy endpoint, so 1.14 wants them together.
      const serviceAccount = get(cluster, "serviceAccount");
      if (
        contract.multidocKubernetesConfigSupported() &&
        serviceAccount !== undefined &&
        serviceAccount !== null &&
        !nonEmpty(get(cluster, "controlPlane", "endpoint"))
      ) {
        err(
          ".cluster.serviceAccount requires the cluster endpoint to be set in the same document (.cluster.controlPlane.endpoint); when the cluster endpoint is migrated to the KubeClusterConfig document, .cluster.serviceAccount should be migrated to the KubeServiceAccountConfig document as well",
          "cluster.serviceAccount",
          "move the key into the KubeServiceAccountConfig document (issuer.privateKey) and remove cluster.serviceAccount",
        );
      }
      const dnsDomain = get(cluster, "network", "dnsDomain");
      if (typeof dnsDomain === "string" && dnsDomain !== "" && !DNS_NAME.test(dnsDomain))
        err(`"${dnsDomain}" is not a valid DNS name`, "cluster.network.dnsDomain");
      const cni = get(cluster, "network", "cni");
      if (isYamlMap(cni)) {
        const name = get(cni, "name");
        const urls = get(cni, "urls");
        if (name !== "flannel" && name !== "custom" && name !== "none")
          err(
            `unsupported CNI driver ${JSON.stringify(name)}`,
            "cluster.network.cni.name",
            "use flannel, custom or none",
          );
        else if (name !== "custom" && nonEmpty(urls))
          err(`CNI "${name}" does not take urls`, "cluster.network.cni.urls", "use name: custom for a CNI from URLs");
        else if (name === "custom" && !nonEmpty(urls))
          warn('CNI "custom" without urls: no CNI will be installed by Talos', "cluster.network.cni");
      }
    }
  }

  for (const h of hostnameDocs) {
    const auto = get(h, "auto");
    const hostname = get(h, "hostname");
    if (auto === undefined && !nonEmpty(hostname)) err("either 'auto' or 'hostname' must be set", "HostnameConfig");
    if (auto !== undefined && auto !== "off" && auto !== "stable")
      err(`unknown auto hostname kind ${JSON.stringify(auto)}`, "HostnameConfig.auto", "use off or stable");
    if (nonEmpty(hostname) && auto !== undefined && auto !== "off")
      err(
        "'auto' and 'hostname' cannot be set at the same time",
        "HostnameConfig",
        "set auto: off together with hostname",
      );
    if (typeof hostname === "string" && hostname !== "" && !DNS_NAME.test(hostname))
      err(`invalid hostname ${JSON.stringify(hostname)}`, "HostnameConfig.hostname");
  }
  const machineType = get(v1, "machine", "type");
  const controlPlaneOnly = [
    ...new Set(documents.map(documentKind).filter((k) => CONTROL_PLANE_ONLY_KINDS.has(k))),
  ].sort();
  if (controlPlaneOnly.length > 0 && machineType !== "controlplane" && machineType !== "init") {
    err(
      `the following document kinds are only allowed on control plane machines: [${controlPlaneOnly.join(" ")}]`,
      undefined,
      "put these documents into control-plane patches only (talconfig controlPlane.patches), not global or worker ones",
    );
  }
  out.push(...v1alpha1ConflictDiagnostics(documents, contract, options.file));
  return out;
}

/** siderolabs/net ValidateEndpointURI: parses, non-empty host, bracketed IPv6, numeric port 1–65535. */
function validEndpoint(endpoint: string): boolean {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#[\]]+)(?::(\d+))?(?:[/?#].*)?$/.exec(endpoint);
  if (!m) return false;
  if (m[2] !== undefined) {
    const port = Number(m[2]);
    if (!(port >= 1 && port <= 65535)) return false;
  }
  return true;
}

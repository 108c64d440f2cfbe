/**
 * Where Talos 1.14 moved the legacy v1alpha1 fields that its generator now writes as documents (machinery v1.14.1,
 * `config/types/{k8s,runtime}`: the document types' fields, and the `V1Alpha1ConflictValidate` checks that refuse the
 * legacy field beside the document — see src/machineconfig/v1alpha1-conflicts.ts). Data only; `patch.ts` applies it.
 *
 * A patch that sets a legacy field is rewritten into a patch of the document: strategic merge then merges it into the
 * document the 1.14 generator emits, as the legacy patch merged into the generated v1alpha1 section before.
 */
export interface FieldMove {
  /** Dotted path in the v1alpha1 document. */
  readonly from: string;
  /** Target document kind. */
  readonly kind: string;
  /** Dotted path in the target document. */
  readonly to: string;
  /** `negate`: a `disabled: true` becomes `enabled: false` (the documents say `enabled`). */
  readonly transform?: "negate";
}

/** A legacy field the rewrite drops because the 1.14 document has it built in with the same effect. */
export interface FieldDrop {
  readonly from: string;
  /** The only value that may be dropped (another value has no 1.14 equivalent and stays, reported). */
  readonly value: boolean;
  readonly why: string;
}

/** One document per list item (`machine.kernel.modules` → a `KernelModuleConfig` per module, named by `name`). */
export interface ListToDocuments {
  readonly from: string;
  readonly kind: string;
}

export interface MigrationTarget {
  /** `v1.14` */
  readonly minor: string;
  readonly moves: readonly FieldMove[];
  readonly drops: readonly FieldDrop[];
  readonly lists: readonly ListToDocuments[];
  /** Legacy sections whose unmoved leftovers are worth a note (what remains there is refused or deprecated on 1.14). */
  readonly sections: readonly string[];
  /** Documents Talos accepts on control planes only (machinery's `ControlplaneOnlyDocument`). */
  readonly controlPlaneOnly: ReadonlySet<string>;
}

const move = (kind: string, prefix: string, fields: readonly (string | readonly [string, string])[]): FieldMove[] =>
  fields.map((f) =>
    typeof f === "string" ? { from: `${prefix}.${f}`, kind, to: f } : { from: `${prefix}.${f[0]}`, kind, to: f[1] },
  );

export const TO_V1_14: MigrationTarget = {
  minor: "v1.14",
  moves: [
    ...move("KubeletConfig", "machine.kubelet", [
      "image",
      "extraArgs",
      "clusterDNS",
      ["extraConfig", "config"],
      "defaultRuntimeSeccompProfileEnabled",
    ]),
    ...move("KubeNodeConfig", "machine.kubelet", ["nodeIP", "registerWithFQDN", "skipNodeRegistration"]),
    ...move("KubeCredentialProviderConfig", "machine.kubelet", [["credentialProviderConfig", "configuration"]]),
    ...move("KubeNodeConfig", "machine", [
      ["nodeLabels", "labels"],
      ["nodeAnnotations", "annotations"],
      ["nodeTaints", "taints"],
    ]),
    ...move("SysctlConfig", "machine", [["sysctls", "params"]]),
    { from: "cluster.proxy.disabled", kind: "KubeProxyConfig", to: "enabled", transform: "negate" },
    ...move("KubeProxyConfig", "cluster.proxy", ["image", "mode", "extraArgs"]),
    ...move("KubeAPIServerConfig", "cluster.apiServer", [
      "image",
      "extraArgs",
      "env",
      "resources",
      ["certSANs", "certExtraSANs"],
    ]),
    ...move("KubeControllerManagerConfig", "cluster.controllerManager", ["image", "extraArgs", "env", "resources"]),
    ...move("KubeSchedulerConfig", "cluster.scheduler", ["image", "extraArgs", "env", "resources", "config"]),
    { from: "cluster.coreDNS.disabled", kind: "KubeCoreDNSConfig", to: "enabled", transform: "negate" },
    ...move("KubeCoreDNSConfig", "cluster.coreDNS", ["image"]),
  ],
  drops: [
    {
      from: "machine.kubelet.disableManifestsDirectory",
      value: true,
      why: "KubeletConfig always disables the manifests directory (machinery's DisableManifestsDirectory() returns true)",
    },
  ],
  lists: [{ from: "machine.kernel.modules", kind: "KernelModuleConfig" }],
  sections: [
    "machine.kubelet",
    "cluster.proxy",
    "cluster.apiServer",
    "cluster.controllerManager",
    "cluster.scheduler",
    "cluster.coreDNS",
  ],
  controlPlaneOnly: new Set([
    "KubeAPIServerConfig",
    "KubeControllerManagerConfig",
    "KubeCoreDNSConfig",
    "KubeProxyConfig",
    "KubeSchedulerConfig",
  ]),
};

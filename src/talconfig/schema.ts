import { z } from "zod";
import { isLabelKey, isLabelValue, isTaintValue, isTemplated } from "./formats.js";
import { isCidr, isEndpointUrl, isHostname, isDomain, isIpAddress, isIpOrCidr, splitIpAddresses } from "./formats.js";

// zod compiles a parser per object schema (`new Function`) on first use; a CLI parses one talconfig per run, so the
// compilation never pays back (~25 ms of the first parse, bench/RESULTS.md). Same results, interpreted.
z.config({ jitless: true });

/**
 * The talconfig.yaml model (talhelper v3.1.16 keys), strict: unknown keys are errors. This zod schema is the single
 * source of truth: the TypeScript types are `z.infer` of it and `talform schema` prints its JSON Schema.
 *
 * Talos-owned structures (network devices, volumes, …) follow the Talos v1alpha1 field names. Where Talos accepts
 * a value in two spellings (durations as `10s` or nanoseconds, file modes as `0o644`), both are allowed.
 */

const str = z.string();
const strList = z.array(z.string());
const intOrString = z.union([z.number().int(), z.string()]);

const ipAddress = z.string().refine(isIpAddress, {
  message: "must be an IP address",
  params: { hint: "write an address like 10.0.0.1 (no /prefix here)" },
});
const cidr = z.string().refine(isCidr, {
  message: "must be a CIDR (address/prefix), e.g. 10.244.0.0/16",
  params: { hint: "write a network like 10.244.0.0/16 (IPv4 prefix ≤ 32, IPv6 ≤ 128)" },
});
const ipOrCidr = z.string().refine(isIpOrCidr, {
  message: "must be an IP address with an optional /prefix",
  params: { hint: "write an address like 10.0.0.11/24" },
});

const deviceSelector = z
  .strictObject({
    busPath: str.optional(),
    hardwareAddr: str.optional(),
    permanentAddr: str.optional(),
    pciID: str.optional(),
    driver: str.optional(),
    physical: z.boolean().optional(),
  })
  .meta({
    id: "NetworkDeviceSelector",
    description: "Selects a link by its hardware properties (Talos NetworkDeviceSelector).",
  });

const route = z
  .strictObject({
    network: z
      .string()
      .refine((s) => s === "" || isCidr(s), {
        message: "must be a CIDR, e.g. 0.0.0.0/0",
        params: { hint: "write the destination network; 0.0.0.0/0 for the default route" },
      })
      .optional(),
    gateway: ipAddress.optional(),
    source: ipAddress.optional(),
    metric: z.number().int().optional(),
    mtu: z.number().int().optional(),
  })
  .meta({ id: "Route" });

const dhcpOptions = z
  .strictObject({
    routeMetric: z.number().int().optional(),
    ipv4: z.boolean().optional(),
    ipv6: z.boolean().optional(),
    duidv6: str.optional(),
  })
  .meta({ id: "DHCPOptions" });

const vip = z
  .strictObject({
    ip: ipAddress.optional(),
    equinixMetal: z.strictObject({ apiToken: str.optional() }).optional(),
    hcloud: z.strictObject({ apiToken: str.optional() }).optional(),
  })
  .meta({ id: "DeviceVIPConfig" });

const bond = z
  .strictObject({
    interfaces: strList.optional(),
    deviceSelectors: z.array(deviceSelector).optional(),
    arpIPTarget: strList.optional(),
    mode: str.optional(),
    xmitHashPolicy: str.optional(),
    lacpRate: str.optional(),
    adActorSystem: str.optional(),
    arpValidate: str.optional(),
    arpAllTargets: str.optional(),
    primary: str.optional(),
    primaryReselect: str.optional(),
    failOverMac: str.optional(),
    adSelect: str.optional(),
    miimon: z.number().int().optional(),
    updelay: z.number().int().optional(),
    downdelay: z.number().int().optional(),
    arpInterval: z.number().int().optional(),
    resendIgmp: z.number().int().optional(),
    minLinks: z.number().int().optional(),
    lpInterval: z.number().int().optional(),
    packetsPerSlave: z.number().int().optional(),
    numPeerNotif: z.number().int().optional(),
    tlbDynamicLb: z.number().int().optional(),
    allSlavesActive: z.number().int().optional(),
    useCarrier: z.boolean().optional(),
    adActorSysPrio: z.number().int().optional(),
    adUserPortKey: z.number().int().optional(),
    peerNotifyDelay: z.number().int().optional(),
  })
  .meta({ id: "Bond" });

const bridge = z
  .strictObject({
    interfaces: strList.optional(),
    stp: z.strictObject({ enabled: z.boolean().optional() }).optional(),
    vlan: z.strictObject({ vlanFiltering: z.boolean().optional() }).optional(),
  })
  .meta({ id: "Bridge" });

const vlan = z
  .strictObject({
    addresses: z.array(ipOrCidr).optional(),
    cidr: cidr.optional(),
    routes: z.array(route).optional(),
    dhcp: z.boolean().optional(),
    vlanId: z.number().int().min(0).max(4095).optional(),
    mtu: z.number().int().optional(),
    vip: vip.optional(),
    dhcpOptions: dhcpOptions.optional(),
  })
  .meta({ id: "Vlan" });

const wireguard = z
  .strictObject({
    privateKey: str.optional(),
    listenPort: z.number().int().optional(),
    firewallMark: z.number().int().optional(),
    peers: z
      .array(
        z.strictObject({
          publicKey: str.optional(),
          endpoint: str.optional(),
          persistentKeepaliveInterval: intOrString.optional(),
          allowedIPs: z.array(ipOrCidr).optional(),
        }),
      )
      .optional(),
  })
  .meta({ id: "DeviceWireguardConfig" });

export const networkInterfaceSchema = z
  .strictObject({
    interface: str.optional(),
    deviceSelector: deviceSelector.optional(),
    addresses: z.array(ipOrCidr).optional(),
    cidr: cidr.optional(),
    routes: z.array(route).optional(),
    bond: bond.optional(),
    bridge: bridge.optional(),
    bridgePort: z.strictObject({ master: str.optional() }).optional(),
    vlans: z.array(vlan).optional(),
    mtu: z.number().int().optional(),
    dhcp: z.boolean().optional(),
    ignore: z.boolean().optional(),
    dummy: z.boolean().optional(),
    dhcpOptions: dhcpOptions.optional(),
    wireguard: wireguard.optional(),
    vip: vip.optional(),
  })
  .meta({ id: "NetworkInterface", description: "A Talos v1alpha1 network device (machine.network.interfaces[])." });

const overlay = z.strictObject({
  image: str.optional(),
  name: str.optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

const customization = z.strictObject({
  extraKernelArgs: strList.optional(),
  meta: z.array(z.strictObject({ key: z.number().int(), value: str })).optional(),
  systemExtensions: z.strictObject({ officialExtensions: strList.optional() }).optional(),
  bootloader: intOrString.optional(),
  secureboot: z.strictObject({ includeWellKnownCertificates: z.boolean().optional() }).optional(),
});

export const schematicSchema = z
  .strictObject({
    overlay: overlay.optional(),
    customization: customization.optional(),
  })
  .meta({ id: "Schematic", description: "An Image Factory schematic (system extensions, kernel args, overlay)." });

const machineSpec = z
  .strictObject({
    mode: str.optional(),
    arch: z.enum(["amd64", "arm64"]).optional(),
    secureboot: z.boolean().optional(),
    useUKI: z.boolean().optional(),
    bootMethod: z.enum(["iso", "disk-image", "pxe"]).optional(),
    imageSuffix: str.optional(),
  })
  .meta({ id: "MachineSpec" });

const installDiskSelector = z
  .strictObject({
    size: intOrString.optional(),
    name: str.optional(),
    model: str.optional(),
    serial: str.optional(),
    modalias: str.optional(),
    uuid: str.optional(),
    wwid: str.optional(),
    // Talos's InstallDiskType: lower case only (`HDD` is refused by Talos's validation, not by talhelper's).
    type: z.enum(["ssd", "hdd", "nvme", "sd"]).optional(),
    busPath: str.optional(),
  })
  .meta({ id: "InstallDiskSelector" });

const ingressFirewall = z
  .strictObject({
    defaultAction: z.enum(["accept", "block"]).optional(),
    rules: z
      .array(
        z.strictObject({
          name: str.optional(),
          portSelector: z
            .strictObject({
              ports: z.array(intOrString).optional(),
              protocol: z.enum(["tcp", "udp", "icmp", "icmpv6"]).optional(),
            })
            .optional(),
          ingress: z.array(z.strictObject({ subnet: ipOrCidr.optional(), except: ipOrCidr.optional() })).optional(),
        }),
      )
      .optional(),
  })
  .meta({ id: "IngressFirewall" });

const machineFile = z
  .strictObject({
    content: str.optional(),
    permissions: intOrString.optional(),
    path: str.optional(),
    op: z.enum(["create", "append", "overwrite"]).optional(),
    skipEnvsubst: z.boolean().optional(),
  })
  .meta({ id: "MachineFile" });

const encryption = z
  .strictObject({
    provider: intOrString.optional(),
    keys: z
      .array(
        z.strictObject({
          slot: z.number().int().optional(),
          static: z.strictObject({ passphrase: str.optional() }).optional(),
          nodeID: z.strictObject({}).optional(),
          kms: z.strictObject({ endpoint: str.optional() }).optional(),
          tpm: z
            .strictObject({
              options: z.strictObject({ pcrs: z.array(z.number().int()).optional() }).optional(),
              checkSecurebootStatusOnEnroll: z.boolean().optional(),
            })
            .optional(),
          lockToState: z.boolean().optional(),
        }),
      )
      .optional(),
    cipher: str.optional(),
    keySize: z.number().int().optional(),
    blockSize: z.number().int().optional(),
    options: strList.optional(),
  })
  .meta({ id: "EncryptionSpec" });

const provisioning = z
  .strictObject({
    diskSelector: z.strictObject({ match: str.optional() }).optional(),
    grow: z.boolean().optional(),
    minSize: intOrString.optional(),
    maxSize: intOrString.optional(),
  })
  .meta({ id: "ProvisioningSpec" });

// Kubernetes label syntax; values with `{{ }}` are templates rendered later, checked after rendering (as talhelper).
const labelKey = z.string().refine(isLabelKey, {
  message: "must be a Kubernetes label key ([prefix/]name, name ≤ 63 of [A-Za-z0-9-_.])",
  params: { hint: "use letters, digits, -, _ and . (e.g. topology.kubernetes.io/zone)" },
});
const labelValue = z.string().refine((v) => isTemplated(v) || isLabelValue(v), {
  message: "must be a Kubernetes label value (≤ 63 of [A-Za-z0-9-_.])",
  params: { hint: "shorten the value and use letters, digits, -, _ and . only" },
});
const taintValue = z.string().refine(isTaintValue, {
  message: "must be value:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute",
  params: { hint: "write e.g. gpu:NoSchedule (the effect is case-sensitive)" },
});

/** Keys valid in `nodes[]`, `controlPlane` and `worker` (talhelper `NodeConfigs`). */
export const nodeConfigsShape = {
  nodeLabels: z.record(labelKey, labelValue).optional(),
  nodeAnnotations: z.record(labelKey, z.string()).optional(),
  nodeTaints: z.record(labelKey, taintValue).optional(),
  machineDisks: z
    .array(
      z.strictObject({
        device: str.optional(),
        partitions: z.array(z.strictObject({ size: intOrString.optional(), mountpoint: str.optional() })).optional(),
      }),
    )
    .optional()
    .meta({ description: "Deprecated: use userVolumes or patches.", deprecated: true }),
  machineFiles: z.array(machineFile).optional(),
  disableSearchDomain: z.boolean().optional(),
  kernelModules: z.array(z.strictObject({ name: str, parameters: strList.optional() })).optional(),
  nameservers: z.array(ipAddress).optional(),
  networkInterfaces: z.array(networkInterfaceSchema).optional(),
  extraManifests: strList.optional().meta({ description: "Deprecated: use patches.", deprecated: true }),
  certSANs: strList.optional(),
  patches: strList.optional(),
  talosImageURL: z
    .string()
    .refine((s) => !s.includes("@") && !(s.split("/").pop() ?? "").includes(":"), {
      message: "must be an image name without a tag or digest",
      params: { hint: "drop the :tag / @digest; talform appends :<talosVersion>" },
    })
    .optional(),
  noSchematicValidate: z.boolean().optional(),
  schematic: schematicSchema.optional(),
  imageSchematic: schematicSchema.optional(),
  machineSpec: machineSpec.optional(),
  ingressFirewall: ingressFirewall.optional(),
  extensionServices: z
    .array(
      z.strictObject({
        name: str,
        configFiles: z.array(z.strictObject({ content: str.optional(), mountPath: str.optional() })).optional(),
        environment: strList.optional(),
      }),
    )
    .optional(),
  volumes: z
    .array(z.strictObject({ name: str, provisioning: provisioning.optional(), encryption: encryption.optional() }))
    .optional(),
  userVolumes: z
    .array(
      z.strictObject({
        name: str,
        volumeType: intOrString.optional(),
        provisioning: provisioning.optional(),
        filesystem: z.strictObject({ type: str.optional() }).optional(),
        encryption: encryption.optional(),
      }),
    )
    .optional(),
  filenameTmpl: str.optional(),
  presets: z
    .array(z.enum(["nvidia-gpu", "longhorn"]))
    .optional()
    .meta({
      description:
        "talform only (talhelper ignores it): node-type settings rendered as ordinary patches — nvidia-gpu (kernel modules and runtime setup for the Talos version), longhorn (kubelet mount of /var/lib/longhorn and the iSCSI/NVMe modules).",
    }),
};

export const nodeConfigsSchema = z
  .strictObject(nodeConfigsShape)
  .meta({ id: "NodeConfigs", description: "Defaults for every node of a role." });

export const nodeSchema = z
  .strictObject({
    hostname: z.string().refine(isHostname, {
      message: "must be a lowercase RFC 1123 hostname (letters, digits, '-', '.')",
      params: { hint: "use lowercase letters, digits and dashes, e.g. worker-1" },
    }),
    ipAddress: z
      .string()
      .refine(
        (s) => splitIpAddresses(s).length > 0 && splitIpAddresses(s).every((p) => isIpAddress(p) || isDomain(p)),
        {
          message: "must be an IP address or domain name, or a comma-separated list of them",
          params: { hint: "write the address talosctl reaches the node at, e.g. 10.0.0.11" },
        },
      ),
    controlPlane: z.boolean().optional(),
    installDisk: str.optional(),
    installDiskSelector: installDiskSelector.optional(),
    ignoreHostname: z.boolean().optional(),
    overridePatches: z.boolean().optional(),
    overrideExtraManifests: z.boolean().optional(),
    overrideMachineCertSANs: z.boolean().optional(),
    ...nodeConfigsShape,
  })
  .meta({ id: "Node", description: "One Talos node." });

const imageFactory = z
  .strictObject({
    registryURL: str.optional(),
    schematicEndpoint: str.optional(),
    protocol: str.optional(),
    installerURLTmpl: str.optional(),
    ISOURLTmpl: str.optional(),
  })
  .meta({ id: "ImageFactory" });

export const talconfigSchema = z
  .strictObject({
    clusterName: z.string().min(1, { message: "must not be empty" }),
    talosVersion: str.optional(),
    kubernetesVersion: str,
    endpoint: z.string().refine(isEndpointUrl, {
      message: "must be a URL like https://192.168.1.10:6443",
      params: { hint: "write the Kubernetes API URL with scheme and port, e.g. https://192.168.1.10:6443" },
    }),
    domain: z
      .string()
      .refine(isDomain, {
        message: "must be a DNS domain, e.g. cluster.local",
        params: { hint: "write a domain like cluster.local" },
      })
      .optional(),
    allowSchedulingOnMasters: z
      .boolean()
      .optional()
      .meta({ description: "Deprecated alias of allowSchedulingOnControlPlanes.", deprecated: true }),
    allowSchedulingOnControlPlanes: z.boolean().optional(),
    additionalMachineCertSans: strList
      .optional()
      .meta({ description: "Deprecated: use certSANs on nodes.", deprecated: true }),
    additionalApiServerCertSans: strList.optional(),
    inlineManifests: z
      .array(z.strictObject({ name: str, contents: str.optional(), skipEnvsubst: z.boolean().optional() }))
      .optional(),
    clusterPodNets: z.array(cidr).optional(),
    clusterSvcNets: z.array(cidr).optional(),
    cniConfig: z
      .strictObject({
        name: z.enum(["flannel", "custom", "none"]),
        urls: strList.optional(),
        flannel: z
          .strictObject({ extraArgs: strList.optional(), kubeNetworkPoliciesEnabled: z.boolean().optional() })
          .optional(),
      })
      .optional(),
    patches: strList.optional(),
    nodes: z.array(nodeSchema).min(1, { message: "must list at least one node" }),
    imageFactory: imageFactory.optional(),
    controlPlane: nodeConfigsSchema.optional(),
    worker: nodeConfigsSchema.optional(),
  })
  .meta({
    title: "talconfig.yaml",
    description: "A talhelper-compatible cluster definition, as talform reads it (strict).",
  });

export type Talconfig = z.infer<typeof talconfigSchema>;
export type TalconfigNode = z.infer<typeof nodeSchema>;
export type NodeConfigs = z.infer<typeof nodeConfigsSchema>;
export type Schematic = z.infer<typeof schematicSchema>;
export type NetworkInterface = z.infer<typeof networkInterfaceSchema>;

/** Keys that are deprecated (accepted with a warning) and what to use instead. */
export const DEPRECATED_KEYS: Readonly<Record<string, string>> = {
  allowSchedulingOnMasters: "use allowSchedulingOnControlPlanes",
  additionalMachineCertSans: "use certSANs on the nodes (or the controlPlane group)",
  machineDisks: "use userVolumes or a patch",
  extraManifests: "use patches",
};

/** The JSON Schema (draft 2020-12) of talconfig.yaml. */
export function talconfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(talconfigSchema, {
    target: "draft-2020-12",
    unrepresentable: "any",
    io: "input",
  }) as Record<string, unknown>;
  return schema;
}

/** The JSON Schema as the committed `schema/talconfig.schema.json` holds it (2-space JSON, trailing newline). */
export function talconfigJsonSchemaText(): string {
  return `${JSON.stringify(talconfigJsonSchema(), null, 2)}\n`;
}

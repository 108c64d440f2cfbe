import { fromJson, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import type { SimCluster } from "./cluster.js";
import type { SimNode } from "./node.js";
import { configFacts } from "./config.js";
import { ADDRESS_FLAG_PERMANENT, ENUMS, ProtoSpec, netIP, netIPPrefix } from "./cosi-proto.js";

/**
 * A COSI resource as the simulator serves it: `spec` is rendered to `yaml_spec` (what talform's client reads),
 * `proto` is the `proto_spec` Talos's Go types decode (what talosctl reads). Both come from the same values.
 */
export interface SimResource {
  readonly namespace: string;
  readonly type: string;
  readonly id: string;
  readonly version: number;
  readonly owner?: string;
  readonly spec: unknown;
  readonly proto: Uint8Array;
  readonly annotations?: Readonly<Record<string, string>>;
  /** The `yaml_spec` verbatim, when it is not `spec` marshalled (an older Talos's MachineConfig: the config text). */
  readonly yamlSpec?: string;
}

interface PrintColumn {
  readonly name: string;
  readonly jsonPath: string;
}

interface Definition {
  readonly type: string;
  readonly displayType: string;
  readonly defaultNamespace: string;
  /** The aliases Talos's resource type declares (the automatic ones are added like COSI's `Fill`). */
  readonly aliases: readonly string[];
  readonly printColumns: readonly PrintColumn[];
  readonly sensitive?: boolean;
}

const col = (name: string, jsonPath: string): PrintColumn => ({ name, jsonPath });

/** The resource types the simulator serves, as Talos 1.13 defines them (type, namespace, aliases, print columns). */
export const DEFINITIONS: readonly Definition[] = [
  {
    type: "MachineConfigs.config.talos.dev",
    displayType: "MachineConfig",
    defaultNamespace: "config",
    aliases: [],
    printColumns: [],
    sensitive: true,
  },
  {
    type: "MachineStatuses.runtime.talos.dev",
    displayType: "MachineStatus",
    defaultNamespace: "runtime",
    aliases: [],
    printColumns: [col("Stage", "{.stage}"), col("Ready", "{.status.ready}")],
  },
  {
    type: "ExtensionStatuses.runtime.talos.dev",
    displayType: "ExtensionStatus",
    defaultNamespace: "runtime",
    aliases: ["extensions"],
    printColumns: [col("Name", "{.metadata.name}"), col("Version", "{.metadata.version}")],
  },
  {
    type: "Members.cluster.talos.dev",
    displayType: "Member",
    defaultNamespace: "cluster",
    aliases: [],
    printColumns: [
      col("Hostname", "{.hostname}"),
      col("Machine Type", "{.machineType}"),
      col("OS", "{.operatingSystem}"),
      col("Addresses", "{.addresses}"),
    ],
  },
  {
    type: "TimeStatuses.v1alpha1.talos.dev",
    displayType: "TimeStatus",
    defaultNamespace: "runtime",
    aliases: [],
    printColumns: [col("Synced", "{.synced}")],
  },
  {
    type: "AddressStatuses.net.talos.dev",
    displayType: "AddressStatus",
    defaultNamespace: "network",
    aliases: ["address", "addresses"],
    printColumns: [col("Address", "{.address}"), col("Link", "{.linkName}")],
  },
  {
    type: "RouteStatuses.net.talos.dev",
    displayType: "RouteStatus",
    defaultNamespace: "network",
    aliases: ["route", "routes"],
    printColumns: [
      col("Destination", "{.dst}"),
      col("Gateway", "{.gateway}"),
      col("Link", "{.outLinkName}"),
      col("Metric", "{.priority}"),
    ],
  },
  {
    type: "ResolverStatuses.net.talos.dev",
    displayType: "ResolverStatus",
    defaultNamespace: "network",
    aliases: ["resolvers"],
    printColumns: [col("Resolvers", "{.dnsServers}"), col("Search Domains", "{.searchDomains}")],
  },
  {
    type: "LinkStatuses.net.talos.dev",
    displayType: "LinkStatus",
    defaultNamespace: "network",
    aliases: ["link", "links"],
    printColumns: [
      col("Alias", "{.alias}"),
      col("Type", "{.type}"),
      col("Kind", "{.kind}"),
      col("Hw Addr", "{.hardwareAddr}"),
      col("Oper State", "{.operationalState}"),
      col("Link State", "{.linkState}"),
    ],
  },
  {
    type: "TimeServerStatuses.net.talos.dev",
    displayType: "TimeServerStatus",
    defaultNamespace: "network",
    aliases: ["timeserver", "timeservers"],
    printColumns: [col("Timeservers", "{.timeServers}")],
  },
  {
    type: "HostnameStatuses.net.talos.dev",
    displayType: "HostnameStatus",
    defaultNamespace: "network",
    aliases: ["hostname"],
    printColumns: [col("Hostname", "{.hostname}"), col("Domainname", "{.domainname}")],
  },
  {
    type: "Services.v1alpha1.talos.dev",
    displayType: "Service",
    defaultNamespace: "runtime",
    aliases: ["svc"],
    printColumns: [col("Running", "{.running}"), col("Healthy", "{.healthy}"), col("Health Unknown", "{.unknown}")],
  },
  {
    type: "Nodenames.kubernetes.talos.dev",
    displayType: "Nodename",
    defaultNamespace: "k8s",
    aliases: [],
    printColumns: [col("Nodename", "{.nodename}")],
  },
  {
    type: "StaticPodStatuses.kubernetes.talos.dev",
    displayType: "StaticPodStatus",
    defaultNamespace: "k8s",
    aliases: ["podstatus"],
    printColumns: [col("Ready", '{.conditions[?(@.type=="Ready")].status}')],
  },
  {
    type: "BootstrapManifestsConfigs.kubernetes.talos.dev",
    displayType: "BootstrapManifestsConfig",
    defaultNamespace: "controlplane",
    aliases: [],
    printColumns: [],
  },
  {
    type: "Disks.block.talos.dev",
    displayType: "Disk",
    defaultNamespace: "runtime",
    aliases: [],
    printColumns: [
      col("Size", "{.pretty_size}"),
      col("Read Only", "{.readonly}"),
      col("Transport", "{.transport}"),
      col("Rotational", "{.rotational}"),
      col("WWID", "{.wwid}"),
      col("Model", "{.model}"),
      col("Serial", "{.serial}"),
    ],
  },
  {
    type: "ResourceDefinitions.meta.cosi.dev",
    displayType: "ResourceDefinition",
    defaultNamespace: "meta",
    aliases: [],
    printColumns: [],
  },
  {
    type: "Namespaces.meta.cosi.dev",
    displayType: "Namespace",
    defaultNamespace: "meta",
    aliases: [],
    printColumns: [],
  },
];

/** The aliases COSI's `ResourceDefinitionSpec.Fill` derives: singular, capital-letter abbreviation, type prefixes. */
export function definitionAliases(d: Definition): { aliases: string[]; allAliases: string[] } {
  const [name, suffix] = [d.type.slice(0, d.type.indexOf(".")), d.type.slice(d.type.indexOf(".") + 1)];
  const aliases = [...d.aliases, d.displayType.toLowerCase()];
  const allAliases = [name.toLowerCase()];
  const parts = suffix.split(".");
  for (let i = 1; i < parts.length; i++) allAliases.push([name.toLowerCase(), ...parts.slice(0, i)].join("."));
  const upper = name.replace(/[^A-Z]/g, "");
  if (upper.length > 1) {
    aliases.push(upper.toLowerCase());
    if (!upper.endsWith("S")) aliases.push(`${upper.toLowerCase()}s`);
  }
  return { aliases, allAliases: [...allAliases, ...aliases] };
}

function definitionResource(d: Definition): SimResource {
  const { aliases, allAliases } = definitionAliases(d);
  const p = new ProtoSpec()
    .string(1, d.type)
    .string(2, d.displayType)
    .string(3, d.defaultNamespace)
    .strings(4, aliases)
    .strings(5, allAliases);
  p.messages(
    6,
    d.printColumns.map((c) => new ProtoSpec().string(1, c.name).string(2, c.jsonPath).finish()),
  );
  p.varint(7, d.sensitive ? ENUMS.sensitivity.sensitive : 0);
  const spec = {
    type: d.type,
    displayType: d.displayType,
    defaultNamespace: d.defaultNamespace,
    aliases,
    allAliases,
    printColumns: d.printColumns.map((c) => ({ name: c.name, jsonPath: c.jsonPath })),
    sensitivity: d.sensitive ? "sensitive" : "",
  };
  return {
    namespace: "meta",
    type: "ResourceDefinitions.meta.cosi.dev",
    id: d.type.toLowerCase(),
    version: 1,
    spec,
    proto: p.finish(),
  };
}

const NAMESPACES: readonly [string, string][] = [
  ["config", "Talos node configuration."],
  ["runtime", "Talos runtime resources."],
  ["cluster", "Cluster configuration and discovery resources."],
  ["network", "Networking resources."],
  ["k8s", "Kubernetes all node types resources."],
  ["controlplane", "Kubernetes control plane resources."],
  ["meta", "Metadata namespace which contains resource definitions."],
];

const STAGE_NAMES: Record<string, string> = {
  maintenance: "maintenance",
  installing: "installing",
  booting: "booting",
  running: "running",
  rebooting: "rebooting",
  upgrading: "upgrading",
  down: "rebooting",
};

/** The simulated machine's one disk (what `get disks` shows and `install.disk: /dev/sda` refers to). */
const DISK = {
  id: "sda",
  size: 107_374_182_400,
  prettySize: "107 GB",
  model: "QEMU HARDDISK",
  serial: "simulated-0",
  transport: "virtio",
  busPath: "/pci0000:00/0000:00:05.0/virtio2/host2/target2:0:0/2:0:0:0",
  ioSize: 512,
  sectorSize: 512,
};

/**
 * The node's resources; with `onlyType`, only those of that type are built (a COSI Get or List names one type, and
 * building every other resource of the node per request — the fleet's Members, static pod statuses as protobuf
 * Structs, services — was most of the simulator's CPU time while a plan observed the fleet).
 */
export function listResources(cluster: SimCluster, node: SimNode, onlyType?: string): SimResource[] {
  const want = (type: string) => onlyType === undefined || onlyType === type;
  const out: SimResource[] = [];
  const v = cluster.resourceVersion(node);
  const add = (namespace: string, type: string, id: string, version: number, spec: unknown, proto: ProtoSpec) =>
    out.push({ namespace, type, id, version, spec, proto: proto.finish() });
  if (want("ResourceDefinitions.meta.cosi.dev")) for (const d of DEFINITIONS) out.push(definitionResource(d));
  if (want("Namespaces.meta.cosi.dev"))
    for (const [ns, description] of NAMESPACES)
      add("meta", "Namespaces.meta.cosi.dev", ns, 1, { description }, new ProtoSpec().string(1, description));
  // Talos >= 1.12 marks its MachineConfig resources `talos.dev/yaml-spec` (the spec marshals as one YAML string);
  // older Talos sends the config text itself as the YAML spec, without annotations. talosctl's patch/edit/get read
  // the body as a string only when the annotation is there.
  const specAsString = node.contract.machineConfigSpecAsString();
  const mc = (id: string, text: string) =>
    out.push({
      namespace: "config",
      type: "MachineConfigs.config.talos.dev",
      id,
      version: v,
      spec: text,
      proto: new ProtoSpec().bytes(1, Buffer.from(text)).finish(),
      ...(specAsString ? { annotations: { "talos.dev/yaml-spec": "1" } } : { yamlSpec: text }),
    });
  if (want("MachineConfigs.config.talos.dev")) {
    if (node.config) mc("v1alpha1", node.config.text);
    // Like Talos: `persistent` is the config saved to disk — ahead of the active one while a staged config waits.
    const persistent = node.stagedConfig ?? node.config;
    if (persistent) mc("persistent", persistent.text);
  }
  const facts = node.config ? configFacts(node.config) : undefined;
  const stage = STAGE_NAMES[node.stage] ?? node.stage;
  const ready = node.stage === "running";
  const unmet = ready ? [] : [{ name: "services", reason: `stage ${node.stage}` }];
  if (want("MachineStatuses.runtime.talos.dev"))
    add(
      "runtime",
      "MachineStatuses.runtime.talos.dev",
      "machine",
      v,
      { stage, status: { ready, unmetConditions: unmet } },
      new ProtoSpec().varint(1, ENUMS.machineStage[stage]).message(
        2,
        new ProtoSpec()
          .bool(1, ready)
          .messages(
            2,
            unmet.map((c) => new ProtoSpec().string(1, c.name).string(2, c.reason).finish()),
          )
          .finish(),
      ),
    );
  if (want("ExtensionStatuses.runtime.talos.dev"))
    node.visibleExtensions().forEach((name, i) => {
      const meta = {
        name,
        version: node.faults.extensionVersions.get(name) ?? extensionVersion(name, node.talosVersion),
        author: "simulated",
        description: `${name} (simulated)`,
        compatibility: { talos: { version: `>= ${node.talosVersion}` } },
      };
      const protoMeta = new ProtoSpec()
        .string(1, meta.name)
        .string(2, meta.version)
        .string(3, meta.author)
        .string(4, meta.description)
        .message(
          5,
          new ProtoSpec().message(1, new ProtoSpec().string(1, meta.compatibility.talos.version).finish()).finish(),
        );
      add(
        "runtime",
        "ExtensionStatuses.runtime.talos.dev",
        String(i),
        v,
        { image: `${name}.sqsh`, metadata: meta },
        new ProtoSpec().string(1, `${name}.sqsh`).message(2, protoMeta.finish()),
      );
    });
  if (!node.inMaintenance && want("Members.cluster.talos.dev")) {
    for (const m of cluster.nodes.filter((n) => n.config)) {
      const machineType = m.controlPlane ? "controlplane" : "worker";
      const spec = {
        nodeId: m.hostname,
        addresses: [m.address],
        hostname: m.hostname,
        machineType,
        operatingSystem: `Talos (${m.talosVersion})`,
        controlPlane: m.controlPlane ? { apiServerPort: 6443 } : null,
      };
      const p = new ProtoSpec()
        .string(1, spec.nodeId)
        .messages(2, spec.addresses.map(netIP))
        .string(3, spec.hostname)
        .varint(4, ENUMS.machineType[machineType])
        .string(5, spec.operatingSystem);
      if (m.controlPlane) p.message(6, new ProtoSpec().varint(1, 6443).finish());
      add("cluster", "Members.cluster.talos.dev", m.hostname, cluster.resourceVersion(m), spec, p);
    }
  }
  if (want("TimeStatuses.v1alpha1.talos.dev"))
    add(
      "runtime",
      "TimeStatuses.v1alpha1.talos.dev",
      "node",
      v,
      { synced: !node.faults.timeUnsynced, epoch: 0, syncDisabled: false },
      new ProtoSpec().bool(1, !node.faults.timeUnsynced),
    );
  const addresses = [`${node.address}/8`, ...(facts?.addresses ?? [])].filter(
    (a) => !node.faults.droppedAddresses.has(a),
  );
  const address = (link: string, cidr: string, scope: string, index: number) => {
    const local = cidr.split("/")[0]!;
    const family = local.includes(":") ? "inet6" : "inet4";
    const full = cidr.includes("/") ? cidr : `${cidr}/${family === "inet6" ? 128 : 32}`;
    add(
      "network",
      "AddressStatuses.net.talos.dev",
      `${link}/${full}`,
      1,
      { address: full, local, family, scope, flags: "permanent", linkName: link, linkIndex: index },
      new ProtoSpec()
        .message(1, netIPPrefix(full))
        .message(2, netIP(local))
        .varint(6, index)
        .string(7, link)
        .varint(8, ENUMS.family[family])
        .varint(9, ENUMS.scope[scope])
        .varint(10, ADDRESS_FLAG_PERMANENT),
    );
  };
  if (want("AddressStatuses.net.talos.dev")) {
    for (const a of new Set(addresses)) address("eth0", a, "global", 2);
    address("lo", "127.0.0.1/8", "host", 1);
  }
  if (!node.faults.noDefaultRoute && want("RouteStatuses.net.talos.dev")) {
    const r = {
      family: "inet4",
      dst: "",
      src: "",
      gateway: "127.0.0.1",
      outLinkName: "eth0",
      outLinkIndex: 2,
      table: "main",
      priority: 1024,
      scope: "global",
      type: "unicast",
      protocol: "static",
    };
    add(
      "network",
      "RouteStatuses.net.talos.dev",
      "inet4/127.0.0.1//1024",
      1,
      r,
      new ProtoSpec()
        .varint(1, ENUMS.family.inet4)
        .message(4, netIP(r.gateway))
        .varint(5, r.outLinkIndex)
        .string(6, r.outLinkName)
        .varint(7, ENUMS.routingTable.main)
        .varint(8, r.priority)
        .varint(10, ENUMS.routeType.unicast)
        .varint(12, ENUMS.routeProtocol.static),
    );
  }
  const dnsServers =
    node.faults.resolvers ?? (facts && facts.nameservers.length > 0 ? [...facts.nameservers] : ["127.0.0.53"]);
  if (want("ResolverStatuses.net.talos.dev"))
    add(
      "network",
      "ResolverStatuses.net.talos.dev",
      "resolvers",
      1,
      { dnsServers, searchDomains: [] },
      new ProtoSpec().messages(1, dnsServers.map(netIP)),
    );
  const ntp = facts && facts.timeServers.length > 0 ? [...facts.timeServers] : ["time.cloudflare.com"];
  if (want("TimeServerStatuses.net.talos.dev"))
    add(
      "network",
      "TimeServerStatuses.net.talos.dev",
      "timeservers",
      1,
      { timeServers: ntp },
      new ProtoSpec().strings(1, ntp),
    );
  if (want("HostnameStatuses.net.talos.dev"))
    add(
      "network",
      "HostnameStatuses.net.talos.dev",
      "hostname",
      v,
      { hostname: node.hostname, domainname: "" },
      new ProtoSpec().string(1, node.hostname),
    );
  const link = (id: string, index: number, type: string, hw: Uint8Array, mtu: number, kind: string) =>
    add(
      "network",
      "LinkStatuses.net.talos.dev",
      id,
      1,
      {
        index,
        type,
        hardwareAddr: [...hw].map((b) => b.toString(16).padStart(2, "0")).join(":"),
        mtu,
        kind,
        operationalState: "up",
        linkState: true,
      },
      new ProtoSpec()
        .varint(1, index)
        .varint(2, ENUMS.linkType[type])
        .bytes(5, hw)
        .varint(7, mtu)
        .string(11, kind)
        .varint(10, ENUMS.operState.up)
        .bool(22, true),
    );
  if (want("LinkStatuses.net.talos.dev")) {
    link("lo", 1, "loopback", new Uint8Array(6), 65536, "");
    link("eth0", 2, "ether", macOf(node.address), 1500, "");
  }
  if (want("Services.v1alpha1.talos.dev"))
    for (const s of cluster.services(node)) {
      const spec = {
        running: s.state === "Running",
        healthy: s.health?.healthy ?? false,
        unknown: s.health?.unknown ?? true,
      };
      add(
        "runtime",
        "Services.v1alpha1.talos.dev",
        s.id,
        v,
        spec,
        new ProtoSpec().bool(1, spec.running).bool(2, spec.healthy).bool(3, spec.unknown),
      );
    }
  if (node.config && want("Nodenames.kubernetes.talos.dev")) {
    add(
      "k8s",
      "Nodenames.kubernetes.talos.dev",
      "nodename",
      v,
      { nodename: node.hostname, hostnameVersion: "1", skipNodeRegistration: false },
      new ProtoSpec().string(1, node.hostname).string(2, "1"),
    );
  }
  // The kubelet's static pods (Talos's KubeletStaticPodController): id namespace/name, the spec is the pod's status
  // as a map, which Talos encodes as a google.protobuf.Struct.
  if (want("StaticPodStatuses.kubernetes.talos.dev"))
    for (const pod of cluster.kube.workloads.staticPods(node)) {
      const status = JSON.parse(JSON.stringify(pod["status"])) as JsonObject;
      add(
        "k8s",
        "StaticPodStatuses.kubernetes.talos.dev",
        `${pod.metadata.namespace}/${pod.metadata.name}`,
        v,
        status,
        new ProtoSpec().message(1, toBinary(StructSchema, fromJson(StructSchema, status))),
      );
    }
  else cluster.kube.workloads.noteStaticPods(node);
  if (node.config && node.controlPlane && want("BootstrapManifestsConfigs.kubernetes.talos.dev")) {
    const b = bootstrapManifests(node.config.v1alpha1, node.config.controlPlaneEndpoint ?? "");
    add(
      "controlplane",
      "BootstrapManifestsConfigs.kubernetes.talos.dev",
      "manifests",
      v,
      b,
      new ProtoSpec()
        .string(1, b.server)
        .string(2, b.clusterDomain)
        .strings(3, b.podCIDRs)
        .bool(4, b.proxyEnabled)
        .bool(7, b.coreDNSEnabled)
        .bool(11, b.flannelEnabled)
        .string(21, b.cniName),
    );
  }
  const disk = {
    size: DISK.size,
    ioSize: DISK.ioSize,
    sectorSize: DISK.sectorSize,
    readonly: false,
    model: DISK.model,
    serial: DISK.serial,
    busPath: DISK.busPath,
    subsystem: "/sys/class/block",
    transport: DISK.transport,
    rotational: false,
    devPath: `/dev/${DISK.id}`,
    pretty_size: DISK.prettySize,
  };
  if (want("Disks.block.talos.dev"))
    add(
      "runtime",
      "Disks.block.talos.dev",
      DISK.id,
      1,
      disk,
      new ProtoSpec()
        .varint(1, disk.size)
        .varint(2, disk.ioSize)
        .varint(3, disk.sectorSize)
        .string(5, disk.model)
        .string(6, disk.serial)
        .string(9, disk.busPath)
        .string(10, disk.subsystem)
        .string(11, disk.transport)
        .string(14, disk.devPath)
        .string(15, disk.pretty_size),
    );
  return out;
}

/** A stable locally administered MAC per node address. */
function macOf(address: string): Uint8Array {
  const octets = address.split(".").map(Number);
  return new Uint8Array([0x02, 0x54, ...octets.slice(0, 4).map((o) => (Number.isFinite(o) ? o : 0))]);
}

/** NVIDIA kernel-module extensions are versioned `<driver>-<talos release>` (NVIDIA GPU guide); others carry the release. */
export function extensionVersion(name: string, talosVersion: string): string {
  return /nvidia-open-gpu-kernel-modules|nonfree-kmod-nvidia/.test(name) ? `570.172.08-${talosVersion}` : talosVersion;
}

/** What Talos's manifests controller reads from the cluster config (the health checks look at `cniName`). */
function bootstrapManifests(v1alpha1: Record<string, unknown>, server: string) {
  const cluster = (v1alpha1["cluster"] ?? {}) as {
    network?: { cni?: { name?: string }; dnsDomain?: string; podSubnets?: string[] };
    proxy?: { disabled?: boolean };
    coreDNS?: { disabled?: boolean };
  };
  const cniName = cluster.network?.cni?.name ?? "flannel";
  return {
    server,
    clusterDomain: cluster.network?.dnsDomain ?? "cluster.local",
    podCIDRs: cluster.network?.podSubnets ?? ["10.244.0.0/16"],
    proxyEnabled: !cluster.proxy?.disabled,
    coreDNSEnabled: !cluster.coreDNS?.disabled,
    flannelEnabled: cniName === "flannel",
    cniName,
  };
}

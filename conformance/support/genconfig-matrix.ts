// The synthetic node types of the genconfig conformance tests: the seed's control plane (static IP + VIP), NVIDIA GPU
// worker, Longhorn/storage worker, plus a bond/VLAN/bridge/WireGuard node and a DHCP node chosen by device selector.
// `presets:` lines are talform-only; the talhelper comparison strips them.
export const MATRIX_NODES: string = `
  - hostname: cp-1
    ipAddress: 192.168.10.11
    controlPlane: true
    installDisk: /dev/sda
    certSANs: [cp-1.home.arpa]
    nameservers: [1.1.1.1, 1.0.0.1]
    kernelModules: [{name: br_netfilter, parameters: [nf_conntrack_max=131072]}]
    nodeLabels: {topology.kubernetes.io/zone: rack-a, installer: '{{ .MachineConfig.MachineType }}'}
    nodeAnnotations: {owner: homelab}
    machineFiles:
      - {content: "hello\\n", permissions: 0o644, path: /var/etc/hello.txt, op: create}
    networkInterfaces:
      - interface: eth0
        addresses: [192.168.10.11/24]
        routes: [{network: 0.0.0.0/0, gateway: 192.168.10.1}]
        vip: {ip: 192.168.10.10}
  - hostname: gpu-1
    ipAddress: 192.168.10.21
    installDiskSelector: {model: "Samsung*"}
    presets: [nvidia-gpu]
    nodeTaints: {nvidia.com/gpu: "true:NoSchedule"}
    schematic:
      customization:
        extraKernelArgs: [net.ifnames=0]
        systemExtensions: {officialExtensions: [siderolabs/nonfree-kmod-nvidia-production, siderolabs/nvidia-container-toolkit-production]}
    networkInterfaces:
      - deviceSelector: {hardwareAddr: "a8:a1:59:*"}
        addresses: [192.168.10.21/24]
        routes: [{network: 0.0.0.0/0, gateway: 192.168.10.1}]
  - hostname: storage-1
    ipAddress: 192.168.10.31
    installDisk: /dev/nvme0n1
    presets: [longhorn]
    userVolumes:
      - name: longhorn
        provisioning: {diskSelector: {match: disk.transport == "nvme" && !system_disk}, minSize: 100GiB}
        filesystem: {type: xfs}
    volumes:
      - name: EPHEMERAL
        provisioning: {maxSize: 200GiB}
    ingressFirewall:
      defaultAction: block
      rules:
        - name: kubelet-ingress
          portSelector: {ports: [10250], protocol: tcp}
          ingress: [{subnet: 192.168.10.0/24, except: 192.168.10.1/32}]
    extensionServices:
      - name: nut-client
        configFiles: [{content: "MONITOR ups@nas 1 monuser secret secondary", mountPath: /usr/local/etc/nut/upsmon.conf}]
        environment: [UPS_NAME=ups]
    networkInterfaces:
      - interface: eth0
        dhcp: true
  - hostname: net-1
    ipAddress: 192.168.10.41
    installDisk: /dev/sda
    disableSearchDomain: true
    nameservers: [192.168.10.1]
    networkInterfaces:
      - interface: bond0
        bond: {mode: 802.3ad, lacpRate: fast, xmitHashPolicy: layer3+4, miimon: 100, updelay: 200, downdelay: 200, deviceSelectors: [{hardwareAddr: "00:50:56:*"}, {driver: mlx5_core}]}
        addresses: [192.168.10.41/24]
        routes: [{network: 0.0.0.0/0, gateway: 192.168.10.1}]
        mtu: 9000
        vlans:
          - {vlanId: 20, addresses: [10.20.0.41/24]}
          - {vlanId: 30, dhcp: true}
      - interface: br0
        bridge: {interfaces: [eth2], stp: {enabled: true}}
        addresses: [10.30.0.41/24]
      - interface: wg0
        wireguard:
          privateKey: 6NtibgkNWGSLp7ud6NgZr9k3kNhlQiaJCVW6vN+j9UY=
          listenPort: 51820
          peers:
            - {publicKey: kyiu4YOZqX+7tY4fdiIRNDe2lSEvlun76EWtD/jP1hU=, endpoint: "192.168.1.3:51820", allowedIPs: [10.99.0.0/24], persistentKeepaliveInterval: 25s}
        addresses: [10.99.0.41/24]
  - hostname: dhcp-1
    ipAddress: 192.168.10.51
    installDisk: /dev/sda
    ignoreHostname: true
    networkInterfaces:
      - deviceSelector: {busPath: "0000:02:00.0", physical: true}
        dhcp: true
        dhcpOptions: {ipv6: true, routeMetric: 1024}
`;

/** Talos version → a Kubernetes version it supports. */
export const MATRIX_VERSIONS: readonly [string, string][] = [
  ["v1.10.9", "v1.33.6"],
  ["v1.11.6", "v1.34.1"],
  ["v1.12.0", "v1.35.0"],
  ["v1.13.9", "v1.36.3"],
  ["v1.14.1", "v1.36.3"],
  // No 1.15 release yet: the contract of Talos main (talform's talos-version rule warns).
  ["v1.15.0", "v1.37.0"],
];

/**
 * The node types for Talos 1.3–1.9: the matrix without what those minors do not have (each removal names the first
 * minor with it; talform's strict decoder refuses these fields and kinds for older targets, as Talos does), and
 * without the GPU node's system extensions, whose names talhelper v3.1.16 only knows from 1.10 on.
 */
export const MATRIX_NODES_LEGACY: string = MATRIX_NODES.replace(/ {4}nodeAnnotations: .*\n/, "") // machine.nodeAnnotations: 1.8
  .replace(/ {4}nodeTaints: .*\n/, "") // machine.nodeTaints: 1.6
  .replace(/ {8}systemExtensions: .*\n/, "") // -production extension names (talhelper's catalogue: 1.10)
  // UserVolumeConfig: 1.10, VolumeConfig: 1.8, NetworkRuleConfig: 1.6, ExtensionServiceConfig: 1.7
  .replace(/ {4}userVolumes:[\s\S]*?(?= {4}networkInterfaces:\n {6}- interface: eth0\n {8}dhcp: true)/, "")
  .replace(/, deviceSelectors: \[[^\]]*\]\}/, "}") // bond.deviceSelectors: 1.4
  .replace(/, physical: true/, ""); // deviceSelector.physical: 1.7

/** Talos 1.3–1.9 (the latest release of each) → the Kubernetes version its talosctl defaults to. */
export const MATRIX_VERSIONS_LEGACY: readonly [string, string][] = [
  ["v1.3.7", "v1.26.3"],
  ["v1.4.8", "v1.27.4"],
  ["v1.5.6", "v1.28.3"],
  ["v1.6.8", "v1.29.7"],
  ["v1.7.7", "v1.30.5"],
  ["v1.8.4", "v1.31.4"],
  ["v1.9.6", "v1.32.4"],
];

/** The node list without talform-only keys (for talhelper). */
export const MATRIX_NODES_TALHELPER: string = withoutPresets(MATRIX_NODES);
export const MATRIX_NODES_LEGACY_TALHELPER: string = withoutPresets(MATRIX_NODES_LEGACY);

function withoutPresets(nodes: string): string {
  return nodes
    .split("\n")
    .filter((l) => !l.includes("presets:"))
    .join("\n");
}

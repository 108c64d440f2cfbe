import { isMap, isSeq, parseDocument } from "yaml";
import { TalformError } from "../../diagnostics/index.js";

/**
 * The seed's homelab (examples/homelab) as the demo writes it: the same node types, extensions, DNS, NTP and
 * Longhorn mount, but on loopback addresses so simulated nodes can serve them.
 */
export interface NodeCounts {
  readonly cp: number;
  readonly gpu: number;
  readonly worker: number;
}

export const DEFAULT_NODE_COUNTS: NodeCounts = { cp: 3, gpu: 1, worker: 2 };
/** One /24 on loopback: control planes .11–.19, GPU workers .21–.29, Longhorn workers .31–.39. */
export const DEFAULT_DEMO_SUBNET = "127.77.0";
const MAX_PER_KIND = 9;

export const CONTROL_PLANE_EXTENSIONS = ["siderolabs/amd-ucode", "siderolabs/util-linux-tools"];
export const WORKER_EXTENSIONS = ["siderolabs/amd-ucode", "siderolabs/iscsi-tools", "siderolabs/util-linux-tools"];
export const GPU_EXTENSIONS = [
  "siderolabs/amd-ucode",
  "siderolabs/nonfree-kmod-nvidia-production",
  "siderolabs/nvidia-container-toolkit-production",
];

/** `cp=3,gpu=1,worker=2` (any subset; missing kinds keep their default). */
export function parseNodeCounts(text: string): NodeCounts {
  const counts: Record<keyof NodeCounts, number> = { ...DEFAULT_NODE_COUNTS };
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")) {
    const m = /^(cp|gpu|worker)=(\d+)$/.exec(part);
    if (!m) throw usage(`--nodes: "${part}" is not kind=count`);
    const n = Number(m[2]);
    if (n > MAX_PER_KIND) throw usage(`--nodes: at most ${MAX_PER_KIND} nodes of each kind (got ${m[1]}=${n})`);
    counts[m[1] as keyof NodeCounts] = n;
  }
  if (counts.cp < 1) throw usage("--nodes: a cluster needs at least one control plane (cp=1 or more)");
  return counts;
}

function usage(message: string): TalformError {
  return new TalformError(message, { code: "usage", hint: "write e.g. --nodes cp=3,gpu=1,worker=2", exitCode: 64 });
}

export interface DemoNode {
  readonly hostname: string;
  readonly address: string;
  readonly kind: "controlplane" | "gpu" | "worker";
}

export function demoNodes(counts: NodeCounts, subnet = DEFAULT_DEMO_SUBNET): DemoNode[] {
  const make = (kind: DemoNode["kind"], prefix: string, n: number, base: number) =>
    Array.from({ length: n }, (_, i): DemoNode => ({
      hostname: `${prefix}${i + 1}`,
      address: `${subnet}.${base + i + 1}`,
      kind,
    }));
  return [
    ...make("controlplane", "cp", counts.cp, 10),
    ...make("gpu", "gpu", counts.gpu, 20),
    ...make("worker", "worker", counts.worker, 30),
  ];
}

const list = (items: readonly string[], indent: string) => items.map((s) => `${indent}- ${s}`).join("\n");

/** talconfig.yaml text for the demo cluster (talhelper-compatible, clean under `talform validate`). */
export function homelabTalconfig(
  nodes: readonly DemoNode[],
  options: { talosVersion: string; kubernetesVersion: string },
): string {
  const endpoint = nodes.find((n) => n.kind === "controlplane")!.address;
  const nodeText = nodes.map((n) => {
    const lines = [
      `  - hostname: ${n.hostname}`,
      `    ipAddress: ${n.address}`,
      `    controlPlane: ${n.kind === "controlplane"}`,
      `    installDisk: /dev/sda`,
      `    networkInterfaces:`,
      `      - interface: eth0`,
      `        addresses: [${n.address}/24]`,
    ];
    if (n.kind === "gpu") {
      lines.push(
        `    kernelModules:`,
        ...["nvidia", "nvidia_uvm", "nvidia_drm", "nvidia_modeset"].map((m) => `      - name: ${m}`),
        `    schematic:`,
        `      customization:`,
        `        systemExtensions:`,
        `          officialExtensions:`,
        list(GPU_EXTENSIONS, "            "),
      );
    }
    return lines.join("\n");
  });
  return `# The seed's homelab on loopback addresses, written by \`talform demo\` (see examples/homelab for the LAN version).
clusterName: homelab
talosVersion: ${options.talosVersion}
kubernetesVersion: ${options.kubernetesVersion}
endpoint: https://${endpoint}:6443

# every node: NTP from Cloudflare
patches:
  - |-
    machine:
      time:
        servers:
          - time.cloudflare.com

controlPlane:
  nameservers: [1.1.1.1, 1.0.0.1]
  schematic:
    customization:
      systemExtensions:
        officialExtensions:
${list(CONTROL_PLANE_EXTENSIONS, "          ")}

worker:
  nameservers: [1.1.1.1, 1.0.0.1]
  # Longhorn: iSCSI + util-linux in the image, /var/lib/longhorn bind-mounted into the kubelet
  schematic:
    customization:
      systemExtensions:
        officialExtensions:
${list(WORKER_EXTENSIONS, "          ")}
  patches:
    - |-
      machine:
        kubelet:
          extraMounts:
            - destination: /var/lib/longhorn
              type: bind
              source: /var/lib/longhorn
              options: [bind, rshared, rw]

nodes:
${nodeText.join("\n")}
`;
}

/** `.sops.yaml` encrypting the secrets bundle (and a talenv.sops.yaml) for one age recipient. */
export function sopsConfig(recipient: string): string {
  return `creation_rules:
  - path_regex: talsecret\\.sops\\.yaml$
    age: ${recipient}
  - path_regex: talenv\\.sops\\.yaml$
    age: ${recipient}
`;
}

/**
 * Appends a system extension to one node's own schematic, keeping the rest of the file (comments, layout) as it is,
 * the way an operator would edit it.
 */
export function addExtensionToNode(talconfigText: string, hostname: string, extension: string): string {
  const doc = parseDocument(talconfigText);
  const nodes = doc.get("nodes");
  if (!isSeq(nodes)) throw new Error("talconfig has no nodes list");
  const node = nodes.items.find((n) => isMap(n) && n.get("hostname") === hostname);
  if (!isMap(node)) throw new Error(`talconfig has no node ${hostname}`);
  const exts = node.getIn(["schematic", "customization", "systemExtensions", "officialExtensions"]);
  if (!isSeq(exts)) throw new Error(`node ${hostname} has no schematic of its own`);
  exts.add(doc.createNode(extension));
  return doc.toString();
}

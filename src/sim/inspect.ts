import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ContainerDriver } from "../gen/common/common_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ConnectRecord_State, type MemInfoSchema } from "../gen/machine/machine_pb.js";
import type { SimCluster } from "./cluster.js";
import type { SimNode } from "./node.js";

/**
 * What the simulated machine shows to talosctl's inspection commands (containers, stats, memory, processes, ls, du,
 * mounts, netstat, image list, time): a small, consistent picture derived from the node's state — its services,
 * its Kubernetes static pods, its installer image — not measurements. Sizes are fixed per machine so the output is
 * reproducible.
 */

const MiB = 1024n * 1024n;
/** The simulated machine has 8 GiB of memory (talosctl's client-side health check reads memtotal). */
export const MEMORY_TOTAL_KIB = 8n * 1024n * 1024n;

/** System containers (containerd namespace `system`) Talos runs as containers, with their images. */
function systemContainers(node: SimNode): { id: string; image: string }[] {
  return node
    .serviceIds()
    .filter((s) => s === "apid" || s === "trustd" || s === "etcd")
    .map((id) => ({
      id,
      image:
        id === "etcd"
          ? `gcr.io/etcd-development/etcd:v${node.contract.defaultEtcdVersion()}`
          : `ghcr.io/siderolabs/${id}:${node.talosVersion}`,
    }));
}

/** Kubernetes containers (namespace `k8s.io`): the static pods on control planes, kube-proxy everywhere. */
function kubernetesContainers(node: SimNode): { pod: string; name: string; image: string }[] {
  if (node.inMaintenance || !node.config) return [];
  const k8s =
    (node.config.v1alpha1.machine as { kubelet?: { image?: string } } | undefined)?.kubelet?.image?.split(":").pop() ??
    "v1.36.3";
  const names = [
    ...(node.controlPlane ? ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] : []),
    "kube-proxy",
  ];
  return names.map((name) => ({
    pod: `kube-system/${name}-${node.hostname}`,
    name,
    image: `registry.k8s.io/${name}:${k8s}`,
  }));
}

export function containers(node: SimNode, namespace: string, driver: ContainerDriver) {
  let pid = 1000;
  if (namespace === "k8s.io") {
    return kubernetesContainers(node).flatMap((c) => {
      const sandbox = {
        namespace,
        id: `${c.pod}`,
        podId: c.pod,
        name: c.pod,
        image: "registry.k8s.io/pause:3.10",
        pid: ++pid,
        status: driver === ContainerDriver.CRI ? "SANDBOX_READY" : "RUNNING",
      };
      return [
        sandbox,
        {
          namespace,
          id: `${c.pod}:${c.name}`,
          podId: c.pod,
          name: c.name,
          image: c.image,
          pid: ++pid,
          status: driver === ContainerDriver.CRI ? "CONTAINER_RUNNING" : "RUNNING",
        },
      ];
    });
  }
  return systemContainers(node).map((c) => ({
    namespace: "system",
    id: c.id,
    podId: "",
    name: c.id,
    image: c.image,
    pid: ++pid,
    status: "RUNNING",
  }));
}

export function stats(node: SimNode, namespace: string) {
  return containers(node, namespace, ContainerDriver.CONTAINERD).map((c, i) => ({
    namespace: c.namespace,
    id: c.id,
    podId: c.podId,
    name: c.name,
    memoryUsage: BigInt(32 + 8 * i) * MiB,
    cpuUsage: BigInt(1_000_000_000 * (i + 1)),
  }));
}

export function memory(): MessageInitShape<typeof MemInfoSchema> {
  const total = MEMORY_TOTAL_KIB;
  return {
    memtotal: total,
    memfree: total / 2n,
    memavailable: (total * 3n) / 4n,
    buffers: 64n * 1024n,
    cached: total / 8n,
    active: total / 4n,
    inactive: total / 8n,
    swaptotal: 0n,
    swapfree: 0n,
  };
}

export function processes(node: SimNode) {
  const procs = [{ pid: 1, ppid: 0, command: "init", executable: "/sbin/init", args: "/sbin/init" }];
  let pid = 100;
  for (const s of node.serviceIds())
    procs.push({ pid: ++pid, ppid: 1, command: s, executable: `/sbin/${s}`, args: `/sbin/${s}` });
  return procs.map((p) => ({
    ...p,
    state: "S",
    threads: 8,
    cpuTime: 1.5,
    virtualMemory: 256n * MiB,
    residentMemory: 32n * MiB,
    label: "",
  }));
}

interface SimFile {
  readonly name: string;
  readonly dir: boolean;
  readonly size: number;
}

/** A small read-only tree (ls/du/read): what an operator looks at first on a Talos node. */
function tree(cluster: SimCluster, node: SimNode): Map<string, SimFile[]> {
  const file = (name: string, content: string | undefined): SimFile => ({
    name,
    dir: false,
    size: Buffer.byteLength(content ?? ""),
  });
  const dir = (name: string): SimFile => ({ name, dir: true, size: 4096 });
  return new Map<string, SimFile[]>([
    ["/", [dir("etc"), dir("proc"), dir("system"), dir("var")]],
    ["/etc", [file("hostname", `${node.hostname}\n`), file("os-release", 'NAME="Talos"\n'), dir("kubernetes")]],
    ["/etc/kubernetes", [file("kubeconfig-kubelet", "")]],
    ["/proc", [file("modules", cluster.readFile(node, "/proc/modules")), dir("sys")]],
    ["/proc/sys", []],
    ["/system", [dir("state")]],
    ["/system/state", [file("config.yaml", node.config?.text)]],
    ["/var", [dir("lib"), dir("log")]],
    ["/var/lib", [dir("etcd"), dir("kubelet")]],
    ["/var/lib/etcd", []],
    ["/var/lib/kubelet", []],
    ["/var/log", []],
  ]);
}

export function list(cluster: SimCluster, node: SimNode, root: string, recurse: boolean, depth: number) {
  const t = tree(cluster, node);
  const clean = root === "/" ? "/" : root.replace(/\/+$/, "");
  if (!t.has(clean)) throw new ConnectError(`lstat ${root}: no such file or directory`, Code.NotFound);
  const out: { name: string; relativeName: string; size: bigint; mode: number; isDir: boolean; modified: bigint }[] =
    [];
  const modified = BigInt(Math.floor(cluster.now().getTime() / 1000));
  const walk = (path: string, rel: string, level: number) => {
    for (const f of t.get(path) ?? []) {
      const full = path === "/" ? `/${f.name}` : `${path}/${f.name}`;
      const relName = rel ? `${rel}/${f.name}` : f.name;
      out.push({
        name: full,
        relativeName: relName,
        size: BigInt(f.size),
        mode: f.dir ? 0o20000000755 : 0o644,
        isDir: f.dir,
        modified,
      });
      if (f.dir && recurse && (depth <= 0 || level < depth)) walk(full, relName, level + 1);
    }
  };
  out.push({ name: clean, relativeName: ".", size: 4096n, mode: 0o20000000755, isDir: true, modified });
  walk(clean, "", 1);
  return out;
}

export function diskUsage(cluster: SimCluster, node: SimNode, paths: readonly string[]) {
  const t = tree(cluster, node);
  const sizeOf = (path: string): number =>
    (t.get(path) ?? []).reduce(
      (sum, f) => sum + (f.dir ? sizeOf(path === "/" ? `/${f.name}` : `${path}/${f.name}`) + 4096 : f.size),
      0,
    );
  return (paths.length > 0 ? paths : ["/var"]).map((p) => {
    if (!t.has(p)) return { name: p, relativeName: p, size: 0n, error: `lstat ${p}: no such file or directory` };
    return { name: p, relativeName: ".", size: BigInt(sizeOf(p) + 4096), error: "" };
  });
}

export function mounts() {
  const GiB = 1024n * MiB;
  return [
    { filesystem: "/dev/sda4", size: 100n * MiB, available: 80n * MiB, mountedOn: "/system/state" },
    { filesystem: "/dev/sda6", size: 90n * GiB, available: 80n * GiB, mountedOn: "/var" },
    { filesystem: "tmpfs", size: 4n * GiB, available: 4n * GiB, mountedOn: "/run" },
  ];
}

/** Listening sockets of the machine's services (apid 50000, trustd 50001, etcd, kubelet, the API server). */
export function netstat(node: SimNode) {
  const ports: [string, number][] = [
    ["apid", 50000],
    ["kubelet", 10250],
  ];
  if (node.controlPlane && !node.inMaintenance)
    ports.push(["trustd", 50001], ["etcd", 2379], ["etcd", 2380], ["kube-apiserver", 6443]);
  return ports.map(([name, port], i) => ({
    l4proto: "tcp",
    localip: node.address,
    localport: port,
    remoteip: "0.0.0.0",
    remoteport: 0,
    state: ConnectRecord_State.LISTEN,
    inode: BigInt(1000 + i),
    process: { pid: 100 + i, name },
  }));
}

export function images(node: SimNode) {
  const created = timestampFromDate(new Date(0));
  const refs = [
    node.config?.installImage ?? `ghcr.io/siderolabs/installer:${node.talosVersion}`,
    ...kubernetesContainers(node).map((c) => c.image),
    "registry.k8s.io/pause:3.10",
  ];
  return [...new Set(refs)].map((name) => ({
    name,
    digest: `sha256:${Buffer.from(name).toString("hex").padEnd(64, "0").slice(0, 64)}`,
    size: 50n * MiB,
    createdAt: created,
    labels: {},
  }));
}

import { createServer } from "node:net";
import { TalformError } from "../../diagnostics/index.js";
import { DEFAULT_DEMO_SUBNET } from "./homelab.js";

/** The ports a simulated demo node listens on: apid everywhere, the kube-apiserver on the first control plane. */
const APID_PORT = 50000;
const KUBE_API_PORT = 6443;
/** How many /24s after the default the demo tries before giving up (127.77.0 … 127.77.31). */
const CANDIDATES = 32;

/** Resolves true when address:port can be bound right now (nothing else holds it). */
export function canListen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, address, () => server.close(() => resolve(true)));
  });
}

/** The loopback /24s the demo tries in order: the default one, then its neighbours. */
export function candidateSubnets(first = DEFAULT_DEMO_SUBNET, count = CANDIDATES): string[] {
  const [a, b, c] = first.split(".").map(Number) as [number, number, number];
  return Array.from({ length: count }, (_, i) => `${a}.${b}.${(c + i) % 256}`);
}

/**
 * The first candidate /24 where every demo node's ports are free, so a second demo or a leftover `talform sim up`
 * does not make the demo fail. `addresses` maps a subnet to the node addresses the demo would use there.
 */
export async function pickFreeSubnet(
  addresses: (subnet: string) => readonly string[],
  candidates: readonly string[] = candidateSubnets(),
  probe: (address: string, port: number) => Promise<boolean> = canListen,
): Promise<string> {
  for (const subnet of candidates) {
    const nodes = addresses(subnet);
    const ports = nodes.map((a, i) => [a, i === 0 ? [APID_PORT, KUBE_API_PORT] : [APID_PORT]] as const);
    let free = true;
    for (const [address, list] of ports)
      for (const port of list) if (free && !(await probe(address, port))) free = false;
    if (free) return subnet;
  }
  throw new TalformError(
    `no free loopback /24 for the demo: ${candidates[0]}.x … ${candidates.at(-1)}.x are all in use`,
    {
      code: "demo-subnet",
      hint: "stop the other demo or `talform sim up` (talform sim down), or pass --subnet 127.X.Y",
    },
  );
}

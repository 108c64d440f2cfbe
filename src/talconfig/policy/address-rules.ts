import type { Diagnostic } from "../../diagnostics/index.js";
import { finding } from "./locate.js";
import type { PolicyRule } from "./types.js";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * An interface address without a prefix: Talos takes it as a /32 (/128), so no neighbour is on-link and a gateway
 * in the same LAN is unreachable. Harmless only on an interface without routes (a point-to-point or loopback-only
 * address), which is why those are left alone.
 */
export const addressPrefix: PolicyRule = {
  code: "address-prefix",
  severity: "error",
  summary: "Interface addresses carry a prefix length (10.0.10.11/24) whenever the interface has routes.",
  check(loaded) {
    const out: Diagnostic[] = [];
    for (const n of loaded.nodes) {
      const devices = list(n.networkInterfaces)
        .filter(isObj)
        .flatMap((d) => [d, ...list(d.vlans).filter(isObj)]);
      for (const d of devices) {
        if (list(d.routes).length === 0) continue;
        for (const a of list(d.addresses).map(String)) {
          if (a.includes("/")) continue;
          const prefix = a.includes(":") ? 64 : 24;
          out.push(
            finding(
              this,
              loaded,
              n,
              "networkInterfaces",
              `address ${a} has no prefix: Talos makes it a /${a.includes(":") ? 128 : 32}, and the interface's gateway is then off-link`,
              `write the subnet's prefix length, e.g. ${a}/${prefix}`,
            ),
          );
        }
      }
    }
    return out;
  },
};

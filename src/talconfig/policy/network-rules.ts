/** The seed network: static addresses only, explicit nameservers and time servers. */
import { addressOf, isIpAddress } from "../formats.js";
import type { Diagnostic } from "../../diagnostics/index.js";
import { facts, finding } from "./locate.js";
import type { PolicyRule } from "./types.js";

export const staticAddressing: PolicyRule = {
  code: "static-addressing",
  severity: "error",
  summary: "Every node has a static address, no DHCP, and its ipAddress is one of its interface addresses.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of loaded.nodes) {
      const f = facts(n, ctx);
      const dhcp = f.interfaces.filter((i) => i.dhcp);
      for (const d of dhcp)
        out.push(
          finding(
            this,
            loaded,
            n,
            "networkInterfaces",
            `DHCP is enabled (${d.from})`,
            "remove dhcp: true and give the interface static addresses",
          ),
        );
      for (const d of f.dhcpDocuments)
        out.push(
          finding(
            this,
            loaded,
            n,
            "patches",
            `DHCP is enabled by a ${d} document`,
            "remove the DHCP document and configure static addresses",
          ),
        );
      const addresses = [...f.interfaces.flatMap((i) => i.addresses), ...f.documentAddresses].map(addressOf);
      if (addresses.length === 0) {
        out.push(
          finding(
            this,
            loaded,
            n,
            "networkInterfaces",
            "node has no static address",
            `add networkInterfaces: [{interface: <name>, addresses: [${n.ipAddresses[0] ?? "<ip>"}/<prefix>], routes: [...]}]`,
          ),
        );
        continue;
      }
      for (const ip of n.ipAddresses.filter(isIpAddress)) {
        if (!addresses.includes(ip))
          out.push(
            finding(
              this,
              loaded,
              n,
              "ipAddress",
              `ipAddress ${ip} is not one of the node's interface addresses (${addresses.join(", ")})`,
              "make ipAddress one of the addresses in networkInterfaces (or fix the interface address)",
            ),
          );
      }
    }
    return out;
  },
};

export const nameservers: PolicyRule = {
  code: "nameservers",
  severity: "warning",
  summary: "Nameservers are set explicitly (the seed uses 1.1.1.1 and 1.0.0.1).",
  check(loaded, ctx) {
    return loaded.nodes
      .filter((n) => facts(n, ctx).nameservers.length === 0)
      .map((n) =>
        finding(
          this,
          loaded,
          n,
          "nameservers",
          "no nameservers set (Talos silently defaults to 1.1.1.1 and 8.8.8.8)",
          "add nameservers: [1.1.1.1, 1.0.0.1] (e.g. to the controlPlane and worker groups)",
        ),
      );
  },
};

export const timeServers: PolicyRule = {
  code: "time-servers",
  severity: "warning",
  summary: "Time servers are set explicitly (the seed uses time.cloudflare.com).",
  check(loaded, ctx) {
    return loaded.nodes
      .filter((n) => facts(n, ctx).timeServers.length === 0)
      .map((n) =>
        finding(
          this,
          loaded,
          n,
          "patches",
          "no time servers set (Talos silently defaults to time.cloudflare.com)",
          'add a patch: "machine: {time: {servers: [time.cloudflare.com]}}" (or a TimeSyncConfig document)',
        ),
      );
  },
};

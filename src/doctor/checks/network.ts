import { machineConfigFacts } from "../config-facts.js";
import type { Finding } from "../types.js";
import { expectedFor, nodeLabel, reachable, type CheckContext } from "./context.js";

const ip = (a: string) => a.split("/")[0]!.toLowerCase();

/** Network and time as the seed's troubleshooting guide asks: static address, default route, resolvers, time sync. */
export function network(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const n of reachable(ctx)) {
    const e = expectedFor(ctx, n);
    const label = nodeLabel(n, e);
    const facts = n.activeConfig ? machineConfigFacts(n.activeConfig) : undefined;
    const applyFix = e?.configFile
      ? `talform apply-config -n ${n.node} --file ${e.configFile}`
      : `talform apply-config -n ${n.node} --file <the node's config>`;
    if (n.addresses) {
      const wanted = e && e.staticAddresses.length > 0 ? e.staticAddresses : (facts?.addresses ?? []);
      const have = new Set(n.addresses.map(ip));
      const absent = wanted.filter((a) => !have.has(ip(a)));
      if (absent.length > 0) {
        out.push({
          code: "network-address-missing",
          severity: "error",
          node: n.node,
          symptom: `${label}: static address ${absent.join(", ")} is not configured on the node`,
          evidence: [
            `${e && e.staticAddresses.length > 0 ? "talconfig networkInterfaces" : "machine config"}: ${wanted.join(", ")}`,
            `AddressStatus on ${n.node}: ${n.addresses.join(", ") || "(none)"}`,
          ],
          fix: `check the interface name/deviceSelector in talconfig.yaml networkInterfaces (\`talform get links -n ${n.node}\`), then ${applyFix}`,
        });
      }
    }
    if (n.routes) {
      const hasDefault = n.routes.some(
        (r) =>
          (r.dst === "" || r.dst === "0.0.0.0/0" || r.dst === "::/0") &&
          (r.table === "" || r.table === "main") &&
          r.gateway !== "",
      );
      if (!hasDefault) {
        out.push({
          code: "network-no-default-route",
          severity: "error",
          node: n.node,
          symptom: `${label}: no default route`,
          evidence: [
            `RouteStatus on ${n.node}: ${n.routes.map((r) => `${r.dst || "default"} via ${r.gateway || "-"}`).join(", ") || "(none)"}`,
          ],
          fix: `add a route {network: 0.0.0.0/0, gateway: <router>} to the node's networkInterfaces in talconfig.yaml (or enable dhcp), then ${applyFix}`,
        });
      }
    }
    const nameservers = e && e.nameservers.length > 0 ? e.nameservers : (facts?.nameservers ?? []);
    if (n.resolvers && nameservers.length > 0) {
      const same =
        n.resolvers.length === nameservers.length && nameservers.every((s, i) => ip(s) === ip(n.resolvers![i]!));
      if (!same) {
        out.push({
          code: "network-resolvers",
          severity: "warning",
          node: n.node,
          symptom: `${label}: the node resolves names with ${n.resolvers.join(", ") || "nothing"}, not the configured nameservers ${nameservers.join(", ")}`,
          evidence: [
            `ResolverStatus on ${n.node}: ${n.resolvers.join(", ") || "(none)"}`,
            `nameservers: ${nameservers.join(", ")}`,
          ],
          fix: applyFix,
        });
      }
    }
    if (n.timeSynced === false) {
      const configured = facts?.timeServers ?? [];
      const servers = configured.length > 0 ? configured.join(", ") : "time.cloudflare.com";
      const shown = configured.length > 0 ? servers : `${servers} (Talos default)`;
      out.push({
        code: "time-not-synced",
        severity: "error",
        node: n.node,
        symptom: `${label}: the clock is not synchronized with ${shown} (TLS and etcd break with a skewed clock)`,
        evidence: [`TimeStatus on ${n.node}: synced false`, `time servers: ${shown}`],
        fix: `make ${servers} reachable over UDP 123 from the node or set other servers in a talconfig patch (machine.time.servers), then ${applyFix}`,
      });
    }
  }
  return out;
}

import { TalformError } from "../diagnostics/index.js";
import { struct, type YamlMap, type YamlNode } from "../machineconfig/index.js";
import type { NetworkInterface } from "../talconfig/index.js";

/**
 * talconfig `networkInterfaces` (Talos v1alpha1 devices) → the multi-document network configuration of Talos ≥ 1.12,
 * converted as talhelper v3.1.16 does (facts from its `networkconfig.go`, re-implemented):
 *  - a device with a `deviceSelector` gets a `LinkAliasConfig`; without an `interface` name it is named `ethSelN`
 *    (or `bondN`/`brN`/`wgN` by kind), skipping names used elsewhere; the selector becomes a CEL `glob(...)` match;
 *  - bond members chosen by `bond.deviceSelectors` get aliases `<bond>-m<i>`;
 *  - documents come grouped by kind: aliases, member aliases, bonds, DHCP, VIPs, links, VLANs, WireGuard, bridges;
 *  - default routes (`0.0.0.0/0`, `::/0`) have no destination; bare addresses get /32 (/128).
 * Where talhelper silently drops a setting, talform converts it when Talos has a document for it — `dummy` →
 * `DummyLinkConfig`, `vip.hcloud` → `HCloudVIPConfig`, `bridgePort.master` → a link of that bridge's `BridgeConfig`,
 * the deprecated `cidr` → one more address — and fails with an error otherwise (`ignore`, `vip.equinixMetal`, an
 * unknown bond mode), so the output never loses a setting unnoticed.
 */

type Device = NetworkInterface;

const BOND_ENUMS: Readonly<Record<string, readonly [string, readonly string[]]>> = {
  mode: [
    "bondMode",
    ["balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"],
  ],
  xmitHashPolicy: ["xmitHashPolicy", ["layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4"]],
  lacpRate: ["lacpRate", ["slow", "fast"]],
  arpValidate: ["arpValidate", ["none", "active", "backup", "all", "filter", "filter-active", "filter-backup"]],
  arpAllTargets: ["arpAllTargets", ["any", "all"]],
  primaryReselect: ["primaryReselect", ["always", "better", "failure"]],
  failOverMac: ["failOverMac", ["none", "active", "follow"]],
  adSelect: ["adSelect", ["stable", "bandwidth", "count"]],
};

// talconfig (v1alpha1) name → multi-document name, for the numeric bond settings talhelper copies when > 0.
const BOND_NUMBERS: readonly (readonly [string, string])[] = [
  ["miimon", "miimon"],
  ["updelay", "updelay"],
  ["downdelay", "downdelay"],
  ["arpInterval", "arpInterval"],
  ["resendIgmp", "resendIGMP"],
  ["minLinks", "minLinks"],
  ["lpInterval", "lpInterval"],
  ["packetsPerSlave", "packetsPerSlave"],
  ["numPeerNotif", "numPeerNotif"],
  ["tlbDynamicLb", "tlbLogicalLb"],
  ["allSlavesActive", "allSlavesActive"],
  ["adActorSysPrio", "adActorSysPrio"],
  ["adUserPortKey", "adUserPortKey"],
  ["peerNotifyDelay", "peerNotifDelay"],
];

function fail(where: string, message: string, hint: string): never {
  throw new TalformError(`networkInterfaces${where}: ${message}`, { code: "network-conversion", hint });
}

const doc = (kind: string, name: string, entries: readonly (readonly [string, YamlNode | undefined])[]): YamlMap =>
  struct([["apiVersion", "v1alpha1"], ["kind", kind], ["name", name], ...entries]);

/** Go's netip: `10.0.0.1` → `10.0.0.1/32`, prefixes kept as written. */
function prefixOf(address: string): string {
  if (address.includes("/")) return address;
  return `${address}/${address.includes(":") ? 128 : 32}`;
}

function addresses(list: readonly string[] | undefined): YamlNode | undefined {
  return list && list.length > 0 ? list.map((a) => struct([["address", prefixOf(a)]])) : undefined;
}

type Route = NonNullable<Device["routes"]>[number];
function routes(list: readonly Route[] | undefined): YamlNode | undefined {
  if (!list || list.length === 0) return undefined;
  return list.map((r) =>
    struct([
      ["destination", r.network && r.network !== "0.0.0.0/0" && r.network !== "::/0" ? r.network : undefined],
      ["gateway", r.gateway || undefined],
      ["source", r.source || undefined],
      ["metric", r.metric && r.metric > 0 ? r.metric : undefined],
      ["mtu", r.mtu && r.mtu > 0 ? r.mtu : undefined],
    ]),
  );
}

/** `cidr` is v1alpha1's deprecated single-address form of `addresses` (an address with its prefix). */
function commonLink(d: {
  mtu?: number | undefined;
  addresses?: string[] | undefined;
  cidr?: string | undefined;
  routes?: Route[] | undefined;
}): (readonly [string, YamlNode | undefined])[] {
  return [
    ["mtu", d.mtu && d.mtu > 0 ? d.mtu : undefined],
    ["addresses", addresses([...(d.addresses ?? []), ...(d.cidr ? [d.cidr] : [])])],
    ["routes", routes(d.routes)],
  ];
}

type Selector = NonNullable<Device["deviceSelector"]>;
/** The CEL expression talhelper builds from a v1alpha1 device selector ("" when the selector is empty). */
export function selectorExpression(s: Selector): string {
  const q = (v: string) => JSON.stringify(v);
  const parts: string[] = [];
  if (s.hardwareAddr) parts.push(`glob(${q(s.hardwareAddr)}, mac(link.hardware_addr))`);
  if (s.permanentAddr) parts.push(`glob(${q(s.permanentAddr)}, mac(link.permanent_addr))`);
  if (s.busPath) parts.push(`glob(${q(s.busPath)}, link.bus_path)`);
  if (s.driver) parts.push(`glob(${q(s.driver)}, link.driver)`);
  if (s.pciID) parts.push(`glob(${q(s.pciID)}, link.pciid)`);
  if (s.physical !== undefined) parts.push(s.physical ? "link.type == 1" : "link.type != 1");
  return parts.join(" && ");
}

function dhcpDocs(name: string, enabled: boolean | undefined, options: Device["dhcpOptions"]): YamlMap[] {
  if (!enabled) return [];
  const metric = options?.routeMetric && options.routeMetric > 0 ? options.routeMetric : undefined;
  const out: YamlMap[] = [];
  if (options?.ipv4 ?? true) out.push(doc("DHCPv4Config", name, [["routeMetric", metric]]));
  if (options?.ipv6 ?? false) out.push(doc("DHCPv6Config", name, [["routeMetric", metric]]));
  return out;
}

function checkConvertible(d: Device, where: string): void {
  if (d.ignore !== undefined)
    fail(
      where,
      "`ignore` has no multi-document equivalent (Talos ≥ 1.12)",
      "remove the interface from networkInterfaces (Talos ≥ 1.12 leaves unconfigured links alone)",
    );
  if (d.vip?.equinixMetal)
    fail(
      where,
      "vip.equinixMetal has no multi-document equivalent (Talos ≥ 1.12)",
      "use a Layer2VIPConfig document, or stay on the v1alpha1 form with Talos ≤ 1.11",
    );
  if (!d.interface && !d.deviceSelector)
    fail(where, "needs `interface` or `deviceSelector`", "name the link (e.g. eth0) or select it by hardwareAddr");
  if (d.deviceSelector && selectorExpression(d.deviceSelector) === "")
    fail(where, "deviceSelector is empty", "select by hardwareAddr, permanentAddr, busPath, driver, pciID or physical");
}

/** The documents for `networkInterfaces`, in talhelper's order. */
export function networkDocuments(interfaces: readonly Device[]): YamlMap[] {
  // Name every device first: aliases for selector devices (talhelper renames them in place, later kinds use the alias).
  const used = new Set(interfaces.map((d) => d.interface).filter((n): n is string => !!n));
  const counters: Record<string, number> = { bond: 0, br: 0, wg: 0, ethSel: 0 };
  const names = interfaces.map((d, i) => {
    checkConvertible(d, `[${i}]`);
    if (d.interface) return d.interface;
    const prefix = d.bond ? "bond" : d.bridge ? "br" : d.wireguard ? "wg" : "ethSel";
    let name: string;
    do name = `${prefix}${counters[prefix]!++}`;
    while (used.has(name));
    used.add(name);
    return name;
  });

  const aliases: YamlMap[] = [];
  const memberAliases: YamlMap[] = [];
  const bonds: YamlMap[] = [];
  const dhcp: YamlMap[] = [];
  const vips: YamlMap[] = [];
  const links: YamlMap[] = [];
  const vlans: YamlMap[] = [];
  const wireguards: YamlMap[] = [];
  const bridges: YamlMap[] = [];
  const dummies: YamlMap[] = [];

  // bridgePort: {master: br0} on a device makes it a link of br0's BridgeConfig.
  const bridgeNames = new Set(interfaces.flatMap((d, i) => (d.bridge ? [names[i]!] : [])));
  const portsOf = new Map<string, string[]>();
  interfaces.forEach((d, i) => {
    const master = d.bridgePort?.master;
    if (master === undefined) return;
    if (!bridgeNames.has(master))
      fail(
        `[${i}].bridgePort.master`,
        `"${master}" is not a bridge in networkInterfaces`,
        "name an interface that has a `bridge:` section, or list the port in that bridge's `bridge.interfaces`",
      );
    portsOf.set(master, [...(portsOf.get(master) ?? []), names[i]!]);
  });

  interfaces.forEach((d, i) => {
    const name = names[i]!;
    const where = `[${i}]`;
    if (d.deviceSelector)
      aliases.push(
        doc("LinkAliasConfig", name, [["selector", struct([["match", selectorExpression(d.deviceSelector)]])]]),
      );

    if (d.bond) {
      const b = d.bond;
      const members = (b.deviceSelectors ?? []).map((s, m) => {
        const expr = selectorExpression(s);
        if (expr === "")
          fail(
            `${where}.bond.deviceSelectors[${m}]`,
            "selector is empty",
            "select the member by hardwareAddr, busPath, driver, pciID or physical",
          );
        memberAliases.push(doc("LinkAliasConfig", `${name}-m${m}`, [["selector", struct([["match", expr]])]]));
        return `${name}-m${m}`;
      });
      const links = [...(b.interfaces ?? []), ...members];
      const entries: (readonly [string, YamlNode | undefined])[] = [["links", links.length > 0 ? links : undefined]];
      for (const [key, [field, allowed]] of Object.entries(BOND_ENUMS)) {
        const v = (b as Record<string, unknown>)[key];
        if (typeof v !== "string" || v === "") continue;
        if (!allowed.includes(v))
          fail(`${where}.bond.${key}`, `unknown value "${v}"`, `use one of: ${allowed.join(", ")}`);
        entries.push([field, v]);
      }
      for (const [key, field] of BOND_NUMBERS) {
        const v = (b as Record<string, unknown>)[key];
        if (typeof v === "number" && v > 0) entries.push([field, v]);
      }
      if (b.useCarrier !== undefined) entries.push(["useCarrier", b.useCarrier]);
      if (b.arpIPTarget && b.arpIPTarget.length > 0) entries.push(["arpIpTargets", [...b.arpIPTarget]]);
      bonds.push(doc("BondConfig", name, [...entries, ...commonLink(d)]));
    }

    dhcp.push(...dhcpDocs(name, d.dhcp, d.dhcpOptions));
    if (d.vip?.ip) {
      if (d.vip.hcloud)
        vips.push(
          doc("HCloudVIPConfig", d.vip.ip, [
            ["link", name],
            ["apiToken", d.vip.hcloud.apiToken ?? ""],
          ]),
        );
      else vips.push(doc("Layer2VIPConfig", d.vip.ip, [["link", name]]));
    }

    const special = d.bond || d.wireguard || d.bridge;
    const hasLink = (d.addresses?.length ?? 0) > 0 || !!d.cidr || (d.routes?.length ?? 0) > 0 || (d.mtu ?? 0) > 0;
    if (d.dummy) dummies.push(doc("DummyLinkConfig", name, commonLink(d)));
    else if (!special && hasLink) links.push(doc("LinkConfig", name, commonLink(d)));

    for (const v of d.vlans ?? []) {
      if (!v.vlanId || v.vlanId <= 0) continue;
      const vname = `${name}.${v.vlanId}`;
      vlans.push(doc("VLANConfig", vname, [["vlanID", v.vlanId], ["parent", name], ...commonLink(v)]));
      vlans.push(...dhcpDocs(vname, v.dhcp, v.dhcpOptions));
      if (v.vip?.ip) vlans.push(doc("Layer2VIPConfig", v.vip.ip, [["link", vname]]));
    }

    if (d.wireguard) {
      const w = d.wireguard;
      const peers = (w.peers ?? []).map((p) =>
        struct([
          ["publicKey", p.publicKey || undefined],
          ["endpoint", p.endpoint || undefined],
          ["persistentKeepaliveInterval", keepalive(p.persistentKeepaliveInterval)],
          ["allowedIPs", p.allowedIPs && p.allowedIPs.length > 0 ? p.allowedIPs.map(prefixOf) : undefined],
        ]),
      );
      wireguards.push(
        doc("WireguardConfig", name, [
          ["privateKey", w.privateKey || undefined],
          ["listenPort", w.listenPort && w.listenPort > 0 ? w.listenPort : undefined],
          ["firewallMark", w.firewallMark && w.firewallMark > 0 ? w.firewallMark : undefined],
          ["peers", peers.length > 0 ? peers : undefined],
          ...commonLink(d),
        ]),
      );
    }

    if (d.bridge) {
      const br = d.bridge;
      bridges.push(
        doc("BridgeConfig", name, [
          [
            "links",
            ((links) => (links.length > 0 ? links : undefined))([
              ...(br.interfaces ?? []),
              ...(portsOf.get(name) ?? []),
            ]),
          ],
          ["stp", br.stp?.enabled !== undefined ? struct([["enabled", br.stp.enabled]]) : undefined],
          ["vlan", br.vlan?.vlanFiltering ? struct([["filtering", true]]) : undefined],
          ...commonLink(d),
        ]),
      );
    }
  });
  return [
    ...aliases,
    ...memberAliases,
    ...bonds,
    ...dhcp,
    ...vips,
    ...links,
    ...dummies,
    ...vlans,
    ...wireguards,
    ...bridges,
  ];
}

/** Keepalive as a Go duration string (talconfig allows `10s` or nanoseconds). */
function keepalive(v: string | number | undefined): string | undefined {
  if (v === undefined || v === "" || v === 0) return undefined;
  if (typeof v === "string") return v;
  return goDuration(v);
}

/** Go's `time.Duration.String()` for whole nanoseconds ≥ 1s that are whole seconds (the WireGuard keepalive case). */
function goDuration(ns: number): string {
  const s = ns / 1e9;
  if (!Number.isInteger(s)) return `${ns}ns`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${m}m${sec}s` : m > 0 ? `${m}m${sec}s` : `${sec}s`;
}

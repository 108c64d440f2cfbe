import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { ipAddressBytes } from "../pki/certificates.js";

/**
 * The `proto_spec` of a COSI resource as Talos writes it. Talos encodes resource specs with protoenc from struct tags
 * whose numbers are those of its `api/resource/definitions/*.proto` files; talosctl decodes `proto_spec` with the Go
 * types registered for each resource type and ignores `yaml_spec` for those, so every resource the simulator serves
 * needs its proto form (an empty one decodes to an empty spec: the misreading of issue 17). The field numbers below
 * are the upstream proto's; `@bufbuild/protobuf`'s writer does the wire encoding. Zero values are left out, as
 * proto3 does.
 */
export class ProtoSpec {
  private readonly w = new BinaryWriter();

  string(no: number, v: string | undefined): this {
    if (v) this.w.tag(no, WireType.LengthDelimited).string(v);
    return this;
  }

  strings(no: number, vs: readonly string[] | undefined): this {
    for (const v of vs ?? []) this.w.tag(no, WireType.LengthDelimited).string(v);
    return this;
  }

  bytes(no: number, v: Uint8Array | undefined): this {
    if (v && v.length > 0) this.w.tag(no, WireType.LengthDelimited).bytes(v);
    return this;
  }

  bool(no: number, v: boolean | undefined): this {
    if (v) this.w.tag(no, WireType.Varint).bool(true);
    return this;
  }

  /** uint32, enum and int64 fields (varints). */
  varint(no: number, v: number | bigint | undefined): this {
    if (v !== undefined && v !== 0 && v !== 0n) this.w.tag(no, WireType.Varint).uint64(v);
    return this;
  }

  message(no: number, v: Uint8Array | undefined): this {
    if (v !== undefined) this.w.tag(no, WireType.LengthDelimited).bytes(v);
    return this;
  }

  messages(no: number, vs: readonly Uint8Array[]): this {
    for (const v of vs) this.message(no, v);
    return this;
  }

  finish(): Uint8Array {
    return this.w.finish();
  }
}

/** `common.NetIP` (netip.Addr's binary form in field 1). */
export function netIP(addr: string): Uint8Array {
  return new ProtoSpec().bytes(1, ipAddressBytes(addr)).finish();
}

/** `common.NetIPPrefix`: the address bytes and the prefix length. */
export function netIPPrefix(cidr: string): Uint8Array {
  const [ip, bits] = cidr.split("/");
  return new ProtoSpec()
    .bytes(1, ipAddressBytes(ip!))
    .varint(2, Number(bits ?? (ip!.includes(":") ? 128 : 32)))
    .finish();
}

/** Values of `talos.resource.definitions.enums` that the simulated resources use. */
export const ENUMS = {
  machineStage: {
    unknown: 0,
    booting: 1,
    installing: 2,
    maintenance: 3,
    running: 4,
    rebooting: 5,
    shutting_down: 6,
    resetting: 7,
    upgrading: 8,
  } as Record<string, number>,
  machineType: { unknown: 0, init: 1, controlplane: 2, worker: 3 } as Record<string, number>,
  family: { inet4: 2, inet6: 10 } as Record<string, number>,
  scope: { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as Record<string, number>,
  routingTable: { main: 254, local: 255 } as Record<string, number>,
  routeType: { unicast: 1, local: 2 } as Record<string, number>,
  routeProtocol: { kernel: 2, boot: 3, static: 4, dhcp: 16 } as Record<string, number>,
  linkType: { ether: 1, loopback: 772 } as Record<string, number>,
  operState: { unknown: 0, down: 2, up: 6 } as Record<string, number>,
  /** cosi.resource.meta.ResourceDefinitionSpec.Sensitivity */
  sensitivity: { nonsensitive: 0, sensitive: 1 } as Record<string, number>,
};

/** Linux address flags (IFA_F_*) Talos reports as `flags`. */
export const ADDRESS_FLAG_PERMANENT = 0x80;

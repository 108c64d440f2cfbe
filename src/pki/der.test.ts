import { test } from "node:test";
import assert from "node:assert/strict";
import {
  childrenOf,
  contentOf,
  namedBits,
  objectIdentifier,
  octetString,
  readItem,
  sequence,
  smallInteger,
  time,
  tlv,
  unsignedInteger,
} from "./der.js";
import { ipAddressBytes } from "./certificates.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("object identifiers: first two arcs in one byte, base-128 with continuation bits", () => {
  assert.equal(hex(objectIdentifier("1.2.840.113549.1.1.11")), "06092a864886f70d01010b");
  assert.equal(hex(objectIdentifier("1.3.101.112")), "06032b6570");
  assert.equal(hex(objectIdentifier("2.5.29.37")), "0603551d25");
});

test("lengths: short form below 128, long form above", () => {
  assert.equal(hex(tlv(0x04, new Uint8Array(127))).slice(0, 4), "047f");
  assert.equal(hex(tlv(0x04, new Uint8Array(128))).slice(0, 6), "048180");
  assert.equal(hex(tlv(0x04, new Uint8Array(300))).slice(0, 8), "0482012c");
});

test("integers are minimal and positive", () => {
  assert.equal(hex(smallInteger(2)), "020102");
  assert.equal(hex(smallInteger(0)), "020100");
  assert.equal(hex(unsignedInteger(Uint8Array.of(0, 0, 0x7f))), "02017f");
  assert.equal(hex(unsignedInteger(Uint8Array.of(0x80, 1))), "0203008001");
});

test("named bits drop trailing zeros and count the unused bits", () => {
  assert.equal(hex(namedBits([0])), "03020780"); // digitalSignature
  assert.equal(hex(namedBits([0, 5])), "03020284"); // + keyCertSign
  assert.equal(hex(namedBits([0, 2])), "030205a0"); // + keyEncipherment
  assert.equal(hex(namedBits([8])), "0303070080"); // decipherOnly
});

test("times: UTCTime through 2049, GeneralizedTime from 2050, whole seconds in UTC", () => {
  assert.equal(
    Buffer.from(time(new Date("2049-12-31T23:59:59.999Z")))
      .toString("latin1")
      .slice(2),
    "491231235959Z",
  );
  assert.equal(time(new Date("2049-12-31T23:59:59Z"))[0], 0x17);
  assert.equal(
    Buffer.from(time(new Date("2050-01-01T00:00:00Z")))
      .toString("latin1")
      .slice(2),
    "20500101000000Z",
  );
  assert.equal(time(new Date("1949-12-31T00:00:00Z"))[0], 0x18);
});

test("the reader walks what the writer wrote", () => {
  const der = sequence(octetString(Uint8Array.of(1, 2)), sequence(octetString(new Uint8Array(200))));
  const [a, b] = childrenOf(der, readItem(der, 0));
  assert.equal(hex(contentOf(der, a!)), "0102");
  assert.equal(contentOf(der, childrenOf(der, b!)[0]!).length, 200);
  assert.throws(() => readItem(der.subarray(0, 10), 0), /past the end/);
});

test("IP addresses for subjectAltName", () => {
  assert.equal(hex(ipAddressBytes("127.0.10.1")), "7f000a01");
  assert.equal(hex(ipAddressBytes("fd00::1")), "fd000000000000000000000000000001");
  assert.equal(hex(ipAddressBytes("::")), "0".repeat(32));
  assert.equal(hex(ipAddressBytes("1::")), "0001" + "0".repeat(28));
  assert.equal(hex(ipAddressBytes("::ffff:10.0.0.1")), "00000000000000000000ffff0a000001");
  assert.equal(hex(ipAddressBytes("2001:db8:0:0:1:0:0:1")), "20010db8000000000001000000000001");
  assert.throws(() => ipAddressBytes("cp1"), /not an IP address/);
});

/*
 * DER (ITU-T X.690) for the few ASN.1 types an X.509 certificate is made of: a writer and a reader that walks
 * tag-length-value items. Hand-written on purpose: the ASN.1/X.509 library talform used before (@peculiar/x509 with
 * asn1-schema, asn1js, tsyringe and reflect-metadata) cost ~100 ms of module loading in every `talform genconfig`
 * (bench/RESULTS.md), for certificates of one fixed shape (certificates.ts). Node's crypto does the keys and
 * signatures.
 */

export type Der = Uint8Array;

const concat = (parts: readonly Der[]): Der => Buffer.concat(parts);

function lengthBytes(n: number): Der {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One item: tag, definite length (short or long form), content. */
export function tlv(tag: number, content: Der): Der {
  return concat([Uint8Array.of(tag), lengthBytes(content.length), content]);
}

export const sequence = (...items: readonly Der[]): Der => tlv(0x30, concat(items));

/** A SET OF with one element (every relative distinguished name talform writes has one attribute). */
export const setOfOne = (item: Der): Der => tlv(0x31, item);

export const nullValue = (): Der => tlv(0x05, new Uint8Array(0));

export const boolean = (value: boolean): Der => tlv(0x01, Uint8Array.of(value ? 0xff : 0x00));

export const octetString = (bytes: Uint8Array): Der => tlv(0x04, bytes);

/** A BIT STRING whose content is whole bytes. */
export const bitString = (bytes: Uint8Array): Der => tlv(0x03, concat([Uint8Array.of(0), bytes]));

/**
 * A named-bit BIT STRING (KeyUsage): bit `i` is the i-th most significant bit; DER drops trailing zero bits and
 * states how many bits of the last byte are unused.
 */
export function namedBits(bits: readonly number[]): Der {
  if (bits.length === 0) return tlv(0x03, Uint8Array.of(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)] = bytes[Math.floor(b / 8)]! | (0x80 >> (b % 8));
  return tlv(0x03, concat([Uint8Array.of(7 - (highest % 8)), bytes]));
}

/** A non-negative INTEGER from big-endian bytes (leading zeros dropped, a zero byte added when the top bit is set). */
export function unsignedInteger(bytes: Uint8Array): Der {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const body = bytes.subarray(i);
  return tlv(0x02, body.length === 0 ? Uint8Array.of(0) : body[0]! & 0x80 ? concat([Uint8Array.of(0), body]) : body);
}

export function smallInteger(n: number): Der {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return unsignedInteger(Uint8Array.from(bytes));
}

export function objectIdentifier(dotted: string): Der {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const base128: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      base128.unshift((v & 0x7f) | (base128.length > 0 ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(out));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** A directory string: PrintableString when every character allows it, else UTF8String (as Go and OpenSSL do). */
export const directoryString = (s: string): Der => tlv(PRINTABLE.test(s) ? 0x13 : 0x0c, Buffer.from(s, "utf8"));

export const ia5String = (s: string): Der => tlv(0x16, Buffer.from(s, "ascii"));

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; seconds precision, always UTC. */
export function time(date: Date): Der {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), "ascii"))
    : tlv(0x18, Buffer.from(digits, "ascii"));
}

/** `[n] EXPLICIT` (constructed, context-specific). */
export const explicit = (n: number, inner: Der): Der => tlv(0xa0 | n, inner);

/** `[n] IMPLICIT` over a primitive type: the content of that type under a context-specific tag. */
export const implicitPrimitive = (n: number, content: Uint8Array): Der => tlv(0x80 | n, content);

// ---- reading ------------------------------------------------------------------------------------------------------

export interface Item {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  readonly contentStart: number;
  /** Offset just past the content. */
  readonly end: number;
}

/** The item starting at `offset` of `der` (definite lengths only, as DER requires). */
export function readItem(der: Uint8Array, offset: number): Item {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new Error("DER: truncated item");
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error("DER: unsupported length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error("DER: item runs past the end");
  return { tag, start: offset, contentStart, end };
}

/** The items inside a constructed item. */
export function childrenOf(der: Uint8Array, parent: Item): Item[] {
  const out: Item[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const item = readItem(der, at);
    out.push(item);
    at = item.end;
  }
  return out;
}

export const contentOf = (der: Uint8Array, item: Item): Uint8Array => der.subarray(item.contentStart, item.end);
export const bytesOf = (der: Uint8Array, item: Item): Uint8Array => der.subarray(item.start, item.end);

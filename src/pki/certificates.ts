import { randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import {
  bitString,
  boolean,
  bytesOf,
  childrenOf,
  contentOf,
  directoryString,
  explicit,
  implicitPrimitive,
  namedBits,
  nullValue,
  objectIdentifier,
  octetString,
  readItem,
  sequence,
  setOfOne,
  smallInteger,
  time,
  unsignedInteger,
  type Der,
} from "./der.js";
import { keyAlgorithmOf, parsePrivateKeyPem, privateKeyToTalosPem, type KeyAlgorithm, type KeyPair } from "./keys.js";
import { decodePem, encodePem } from "./pem.js";

/** Clock and randomness are injected so certificate generation is deterministic in tests. */
export interface PkiEnv {
  readonly now: () => Date;
  readonly randomBytes: (n: number) => Uint8Array;
}

export const systemPkiEnv: PkiEnv = { now: () => new Date(), randomBytes: (n) => new Uint8Array(randomBytes(n)) };

export interface CertificateAndKey {
  /** PEM certificate. */
  readonly crt: string;
  /** PEM private key with Talos's label for its algorithm. */
  readonly key: string;
}

export type KeyUsageName = "digitalSignature" | "keyEncipherment" | "keyCertSign" | "crlSign" | "keyAgreement";
export type ExtKeyUsageName = "serverAuth" | "clientAuth";

export interface CertificateTemplate {
  /** Subject organizations (O=); Talos puts roles here for client certs. */
  readonly organizations?: readonly string[];
  readonly commonName?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA?: boolean;
  readonly keyUsages: readonly KeyUsageName[];
  readonly extKeyUsages?: readonly ExtKeyUsageName[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Subject key identifier bytes; Talos uses 20 random bytes for CAs and none for leaf certs. */
  readonly subjectKeyId?: Uint8Array;
}

// RFC 5280 §4.2.1.3 bit numbers.
const KEY_USAGE_BIT: Record<KeyUsageName, number> = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyAgreement: 4,
  keyCertSign: 5,
  crlSign: 6,
};
const EXT_KEY_USAGE_OID: Record<ExtKeyUsageName, string> = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};
const OID = {
  organization: "2.5.4.10",
  commonName: "2.5.4.3",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  basicConstraints: "2.5.29.19",
  subjectKeyId: "2.5.29.14",
  authorityKeyId: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  ed25519: "1.3.101.112",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  sha256WithRsa: "1.2.840.113549.1.1.11",
} as const;

/** The signatureAlgorithm of a certificate signed by a key of `alg`, and how Node signs for it. */
function signatureAlgorithm(alg: KeyAlgorithm): { id: Der; sign: (data: Uint8Array, key: KeyObject) => Uint8Array } {
  switch (alg) {
    case "ed25519":
      return { id: sequence(objectIdentifier(OID.ed25519)), sign: (data, key) => sign(null, data, key) };
    case "ecdsa-p256":
      return {
        id: sequence(objectIdentifier(OID.ecdsaWithSha256)),
        sign: (data, key) => sign("sha256", data, { key, dsaEncoding: "der" }),
      };
    case "rsa-2048":
    case "rsa-4096":
      return {
        id: sequence(objectIdentifier(OID.sha256WithRsa), nullValue()),
        sign: (data, key) => sign("sha256", data, key),
      };
  }
}

/** A random serial in [0, 2^128), as Go's crypto `NewSerialNumber`; the top bit is cleared so DER stays positive. */
function serialNumber(env: PkiEnv): Der {
  const bytes = env.randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return unsignedInteger(bytes);
}

/** Subject name: one relative distinguished name per organization, then the common name. */
function subjectName(t: CertificateTemplate): Der {
  const rdn = (oid: string, value: string) => setOfOne(sequence(objectIdentifier(oid), directoryString(value)));
  return sequence(
    ...(t.organizations ?? []).map((o) => rdn(OID.organization, o)),
    ...(t.commonName ? [rdn(OID.commonName, t.commonName)] : []),
  );
}

/** The 4 or 16 bytes of an IP address (iPAddress in a SAN). */
export function ipAddressBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split(".").map(Number));
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets first.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  const text = v4
    ? ip.slice(0, -v4[1]!.length) +
      ((b) => `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`)(ipAddressBytes(v4[1]!))
    : ip;
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const hextets = (s: string | undefined) => (s ? s.split(":").map((h) => parseInt(h, 16)) : []);
  const front = hextets(head);
  const back = hextets(tail);
  const all =
    tail === undefined ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  return Uint8Array.from(all.flatMap((h) => [h >> 8, h & 0xff]));
}

function extension(oid: string, critical: boolean, value: Der): Der {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** Extensions in the order talform has always written them: key usage, EKU, basic constraints, SKI, AKI, SAN. */
function extensionsFor(t: CertificateTemplate, authorityKeyId: Uint8Array | undefined): Der {
  const exts: Der[] = [extension(OID.keyUsage, true, namedBits(t.keyUsages.map((u) => KEY_USAGE_BIT[u])))];
  if (t.extKeyUsages && t.extKeyUsages.length > 0)
    exts.push(
      extension(OID.extKeyUsage, false, sequence(...t.extKeyUsages.map((u) => objectIdentifier(EXT_KEY_USAGE_OID[u])))),
    );
  if (t.isCA) exts.push(extension(OID.basicConstraints, true, sequence(boolean(true))));
  if (t.subjectKeyId) exts.push(extension(OID.subjectKeyId, false, octetString(t.subjectKeyId)));
  if (authorityKeyId) exts.push(extension(OID.authorityKeyId, false, sequence(implicitPrimitive(0, authorityKeyId))));
  const names = [
    ...(t.dnsNames ?? []).map((n) => implicitPrimitive(2, Buffer.from(n, "ascii"))),
    ...(t.ipAddresses ?? []).map((ip) => implicitPrimitive(7, ipAddressBytes(ip))),
  ];
  if (names.length > 0) exts.push(extension(OID.subjectAltName, false, sequence(...names)));
  return explicit(3, sequence(...exts));
}

interface Issuer {
  readonly name: Der;
  readonly keyId: Uint8Array | undefined;
  readonly privateKey: KeyObject;
}

function buildCertificate(
  subjectPublicKey: KeyObject,
  template: CertificateTemplate,
  issuer: Issuer,
  env: PkiEnv,
): string {
  const alg = signatureAlgorithm(keyAlgorithmOf(issuer.privateKey));
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    serialNumber(env),
    alg.id,
    issuer.name,
    sequence(time(template.notBefore), time(template.notAfter)),
    subjectName(template),
    subjectPublicKey.export({ format: "der", type: "spki" }),
    extensionsFor(template, issuer.keyId),
  );
  return encodePem("CERTIFICATE", sequence(tbs, alg.id, bitString(alg.sign(tbs, issuer.privateKey))));
}

/** The CA certificate's subject (raw DER, to be copied as the issuer) and its subject key identifier, if any. */
function caIdentity(caPem: string): { name: Der; keyId: Uint8Array | undefined } {
  const der = decodePem(caPem, "CERTIFICATE").der;
  const tbs = childrenOf(der, readItem(der, 0))[0]!;
  const fields = childrenOf(der, tbs);
  const rest = fields[0]!.tag === 0xa0 ? fields.slice(1) : fields; // [0] version is optional (v1)
  const subject = rest[4]!; // serial, signature, issuer, validity, subject
  let keyId: Uint8Array | undefined;
  const extensions = rest.find((f) => f.tag === 0xa3);
  if (extensions) {
    for (const ext of childrenOf(der, childrenOf(der, extensions)[0]!)) {
      const [id, ...others] = childrenOf(der, ext);
      if (!id || Buffer.compare(bytesOf(der, id), objectIdentifier(OID.subjectKeyId)) !== 0) continue;
      const value = contentOf(der, others[others.length - 1]!); // extnValue wraps the OCTET STRING key id
      keyId = contentOf(value, readItem(value, 0));
    }
  }
  return { name: bytesOf(der, subject), keyId };
}

/** Creates a self-signed CA certificate for `keys`. */
export async function createSelfSignedCertificate(
  keys: KeyPair,
  template: CertificateTemplate,
  env: PkiEnv = systemPkiEnv,
): Promise<CertificateAndKey> {
  const crt = buildCertificate(
    keys.publicKey,
    template,
    { name: subjectName(template), keyId: undefined, privateKey: keys.privateKey },
    env,
  );
  return { crt, key: privateKeyToTalosPem(keys.privateKey) };
}

/** Issues a certificate for `subjectKeys`, signed by the CA (`ca.crt`/`ca.key` PEM). AKI = the CA's SKI when it has one. */
export async function issueCertificate(
  ca: CertificateAndKey,
  subjectKeys: KeyPair,
  template: CertificateTemplate,
  env: PkiEnv = systemPkiEnv,
): Promise<CertificateAndKey> {
  // Node parses the CA first: a malformed certificate fails here with OpenSSL's message, not in the walk below.
  new X509Certificate(ca.crt);
  const crt = buildCertificate(
    subjectKeys.publicKey,
    template,
    { ...caIdentity(ca.crt), privateKey: parsePrivateKeyPem(ca.key) },
    env,
  );
  return { crt, key: privateKeyToTalosPem(subjectKeys.privateKey) };
}

// @peculiar/x509 resolves its ASN.1 serializers through tsyringe, which needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { webcrypto, randomBytes, X509Certificate as NodeX509Certificate, type KeyObject } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;
type SigningAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams;
import * as x509 from "@peculiar/x509";
import { keyAlgorithmOf, parsePrivateKeyPem, privateKeyToTalosPem, type KeyAlgorithm, type KeyPair } from "./keys.js";

// @peculiar/x509 signs through WebCrypto; Node 20 provides Ed25519, ECDSA and RSA there.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);

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

const KEY_USAGE_BITS: Record<KeyUsageName, x509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  crlSign: x509.KeyUsageFlags.cRLSign,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
};
const EXT_KEY_USAGE_OID: Record<ExtKeyUsageName, string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
};

function signingAlgorithm(alg: KeyAlgorithm): SigningAlgorithm {
  switch (alg) {
    case "ed25519":
      return { name: "Ed25519" };
    case "ecdsa-p256":
      return { name: "ECDSA", hash: "SHA-256" } as webcrypto.EcdsaParams;
    case "rsa-2048":
    case "rsa-4096":
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as webcrypto.RsaHashedImportParams;
  }
}

async function toCryptoKeys(pair: { privateKey: KeyObject; publicKey: KeyObject }): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  const alg = keyAlgorithmOf(pair.privateKey);
  const importAlg =
    alg === "ed25519"
      ? { name: "Ed25519" }
      : alg === "ecdsa-p256"
        ? { name: "ECDSA", namedCurve: "P-256" }
        : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const subtle = webcrypto.subtle;
  const privateKey = (await subtle.importKey("pkcs8", pair.privateKey.export({ format: "der", type: "pkcs8" }), importAlg, true, ["sign"])) as unknown as CryptoKey;
  const publicKey = (await subtle.importKey("spki", pair.publicKey.export({ format: "der", type: "spki" }), importAlg, true, ["verify"])) as unknown as CryptoKey;
  return { privateKey, publicKey };
}

/** A random serial in [0, 2^128), as Go's crypto `NewSerialNumber`; the top bit is cleared so DER stays positive. */
function serialHex(env: PkiEnv): string {
  const bytes = env.randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return Buffer.from(bytes).toString("hex");
}

function subjectName(t: CertificateTemplate): x509.Name {
  const parts: Record<string, string[]>[] = [];
  for (const o of t.organizations ?? []) parts.push({ O: [o] });
  if (t.commonName) parts.push({ CN: [t.commonName] });
  return new x509.Name(parts);
}

function extensionsFor(t: CertificateTemplate, authorityKeyId?: Uint8Array): x509.Extension[] {
  const exts: x509.Extension[] = [];
  exts.push(new x509.KeyUsagesExtension(t.keyUsages.reduce((acc, u) => acc | KEY_USAGE_BITS[u], 0), true));
  if (t.extKeyUsages && t.extKeyUsages.length > 0) {
    exts.push(new x509.ExtendedKeyUsageExtension(t.extKeyUsages.map((u) => EXT_KEY_USAGE_OID[u]), false));
  }
  if (t.isCA) exts.push(new x509.BasicConstraintsExtension(true, undefined, true));
  if (t.subjectKeyId) exts.push(new x509.SubjectKeyIdentifierExtension(Buffer.from(t.subjectKeyId).toString("hex")));
  if (authorityKeyId) exts.push(new x509.AuthorityKeyIdentifierExtension(Buffer.from(authorityKeyId).toString("hex")));
  const names: x509.JsonGeneralName[] = [
    ...(t.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(t.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (names.length > 0) exts.push(new x509.SubjectAlternativeNameExtension(names, false));
  return exts;
}

/** Creates a self-signed CA certificate for `keys`. */
export async function createSelfSignedCertificate(keys: KeyPair, template: CertificateTemplate, env: PkiEnv = systemPkiEnv): Promise<CertificateAndKey> {
  const cryptoKeys = await toCryptoKeys(keys);
  const name = subjectName(template);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex(env),
    subject: name,
    issuer: name,
    notBefore: template.notBefore,
    notAfter: template.notAfter,
    signingAlgorithm: signingAlgorithm(keys.algorithm),
    publicKey: cryptoKeys.publicKey,
    signingKey: cryptoKeys.privateKey,
    extensions: extensionsFor(template),
  });
  return { crt: cert.toString("pem") + "\n", key: privateKeyToTalosPem(keys.privateKey) };
}

/** Issues a certificate for `subjectKeys`, signed by the CA (`ca.crt`/`ca.key` PEM). AKI = the CA's SKI when it has one. */
export async function issueCertificate(
  ca: CertificateAndKey,
  subjectKeys: KeyPair,
  template: CertificateTemplate,
  env: PkiEnv = systemPkiEnv,
): Promise<CertificateAndKey> {
  const caCert = new x509.X509Certificate(ca.crt);
  const caKey = parsePrivateKeyPem(ca.key);
  const caAlg = keyAlgorithmOf(caKey);
  const caKeys = await toCryptoKeys({ privateKey: caKey, publicKey: new NodeX509Certificate(ca.crt).publicKey });
  const subjectCrypto = await toCryptoKeys(subjectKeys);
  const ski = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex(env),
    subject: subjectName(template),
    issuer: caCert.subjectName,
    notBefore: template.notBefore,
    notAfter: template.notAfter,
    signingAlgorithm: signingAlgorithm(caAlg),
    publicKey: subjectCrypto.publicKey,
    signingKey: caKeys.privateKey,
    extensions: extensionsFor(template, ski ? Buffer.from(ski.keyId, "hex") : undefined),
  });
  return { crt: cert.toString("pem") + "\n", key: privateKeyToTalosPem(subjectKeys.privateKey) };
}

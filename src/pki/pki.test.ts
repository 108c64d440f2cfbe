import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import {
  createSelfSignedCertificate,
  generateKeyPair,
  issueCertificate,
  parsePrivateKeyPem,
  type KeyAlgorithm,
} from "./index.js";

const now = new Date("2026-01-01T00:00:00Z");
const later = new Date("2036-01-01T00:00:00Z");

for (const alg of ["ed25519", "ecdsa-p256"] as KeyAlgorithm[]) {
  test(`${alg}: self-signed CA and an issued client cert chain, with Talos PEM labels`, async () => {
    const ca = await createSelfSignedCertificate(generateKeyPair(alg), {
      organizations: ["talos"],
      notBefore: now,
      notAfter: later,
      isCA: true,
      keyUsages: ["digitalSignature", "keyCertSign"],
      extKeyUsages: ["serverAuth", "clientAuth"],
      subjectKeyId: new Uint8Array(20).fill(7),
    });
    assert.match(ca.key, alg === "ed25519" ? /BEGIN ED25519 PRIVATE KEY/ : /BEGIN EC PRIVATE KEY/);
    const caX = new X509Certificate(ca.crt);
    assert.equal(caX.ca, true);
    assert.equal(caX.subject, "O=talos");

    const leaf = await issueCertificate(ca, generateKeyPair(alg), {
      organizations: ["os:admin"],
      notBefore: now,
      notAfter: new Date("2027-01-01T00:00:00Z"),
      keyUsages: ["digitalSignature"],
      extKeyUsages: ["clientAuth"],
    });
    const leafX = new X509Certificate(leaf.crt);
    assert.equal(leafX.subject, "O=os:admin");
    assert.equal(leafX.issuer, "O=talos");
    assert.ok(leafX.verify(caX.publicKey));
    assert.ok(leafX.checkIssued(caX));
    assert.equal(parsePrivateKeyPem(leaf.key).asymmetricKeyType, alg === "ed25519" ? "ed25519" : "ec");
  });
}

test("server cert carries IP and DNS SANs", async () => {
  const ca = await createSelfSignedCertificate(generateKeyPair("ed25519"), {
    organizations: ["talos"],
    notBefore: now,
    notAfter: later,
    isCA: true,
    keyUsages: ["digitalSignature", "keyCertSign"],
  });
  const srv = await issueCertificate(ca, generateKeyPair("ed25519"), {
    notBefore: now,
    notAfter: later,
    keyUsages: ["digitalSignature"],
    extKeyUsages: ["serverAuth"],
    dnsNames: ["cp1"],
    ipAddresses: ["127.0.10.1"],
  });
  const x = new X509Certificate(srv.crt);
  assert.match(x.subjectAltName ?? "", /DNS:cp1/);
  assert.match(x.subjectAltName ?? "", /IP Address:127.0.10.1/);
});

test("an issued certificate names its CA exactly: issuer = the CA's subject bytes, AKI = the CA's SKI", async () => {
  const ca = await createSelfSignedCertificate(generateKeyPair("ed25519"), {
    organizations: ["talos"],
    commonName: "ünïcode CA",
    notBefore: now,
    notAfter: new Date("2056-01-01T00:00:00Z"),
    isCA: true,
    keyUsages: ["digitalSignature", "keyCertSign"],
    subjectKeyId: new Uint8Array(20).fill(9),
  });
  const leaf = await issueCertificate(ca, generateKeyPair("ecdsa-p256"), {
    organizations: ["os:admin"],
    notBefore: now,
    notAfter: later,
    keyUsages: ["digitalSignature"],
    extKeyUsages: ["clientAuth"],
  });
  const caX = new X509Certificate(ca.crt);
  const leafX = new X509Certificate(leaf.crt);
  assert.equal(leafX.issuer, caX.subject);
  assert.equal(caX.subject, "O=talos\nCN=ünïcode CA");
  assert.ok(leafX.checkIssued(caX) && leafX.verify(caX.publicKey));
  assert.equal(caX.validTo, "Jan  1 00:00:00 2056 GMT"); // GeneralizedTime from 2050
  assert.match(leafX.toLegacyObject().ext_key_usage?.join(",") ?? "", /1\.3\.6\.1\.5\.5\.7\.3\.2/);
  // authorityKeyIdentifier extension: SEQUENCE { [0] keyIdentifier } carrying the CA's 20-byte SKI.
  assert.ok(leafX.raw.toString("hex").includes(`0603551d23041830168014${"09".repeat(20)}`));
});

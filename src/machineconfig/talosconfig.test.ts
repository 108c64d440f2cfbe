import "reflect-metadata";
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { systemPkiEnv, type PkiEnv } from "../pki/index.js";
import { makeTestBundle } from "./test-support.js";
import { encodeTalosconfig, generateTalosconfig, parseTalosconfig } from "./talosconfig.js";

const bundle = await makeTestBundle();
const at = (iso: string): PkiEnv => ({ now: () => new Date(iso), randomBytes: systemPkiEnv.randomBytes });
const input = {
  bundle,
  clusterName: "home",
  endpoints: ["10.0.0.10", "10.0.0.11"],
  nodes: ["10.0.0.10", "10.0.0.11", "10.0.0.20"],
};

test("admin certificate: Ed25519, O=os:admin, clientAuth only, KeyUsage digitalSignature critical, one year, signed by the OS CA", async () => {
  const { talosconfig, certificateIssued } = await generateTalosconfig(input, at("2026-03-01T00:00:00Z"));
  assert.equal(certificateIssued, true);
  const ctx = talosconfig.contexts.get("home")!;
  const cert = new X509Certificate(ctx.crt!);
  const ca = new X509Certificate(bundle.certs.os.crt);
  assert.equal(cert.subject, "O=os:admin");
  assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey));
  assert.equal(cert.publicKey.asymmetricKeyType, "ed25519");
  assert.equal(new Date(cert.validTo).toISOString(), "2027-03-01T00:00:00.000Z");
  assert.match(ctx.key!, /^-----BEGIN ED25519 PRIVATE KEY-----/);
  const p = new x509.X509Certificate(ctx.crt!);
  const ku = p.getExtension(x509.KeyUsagesExtension)!;
  assert.equal(ku.critical, true);
  assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
  assert.deepEqual([...p.getExtension(x509.ExtendedKeyUsageExtension)!.usages], [x509.ExtendedKeyUsage.clientAuth]);
  assert.equal(p.getExtension(x509.BasicConstraintsExtension), null);
});

test("serialised like talosctl: base64 PEM, context = cluster name, endpoints and nodes", async () => {
  const { text } = await generateTalosconfig(input, at("2026-03-01T00:00:00Z"));
  const lines = text.split("\n");
  assert.deepEqual(lines.slice(0, 11), [
    "context: home",
    "contexts:",
    "    home:",
    "        endpoints:",
    "            - 10.0.0.10",
    "            - 10.0.0.11",
    "        nodes:",
    "            - 10.0.0.10",
    "            - 10.0.0.11",
    "            - 10.0.0.20",
    `        ca: ${Buffer.from(bundle.certs.os.crt).toString("base64")}`,
  ]);
  assert.match(lines[11]!, /^ {8}crt: LS0tLS1CRUdJTi/);
  assert.match(lines[12]!, /^ {8}key: LS0tLS1CRUdJTiBFRDI1NTE5IFBSSVZBVEUgS0VZLS0tLS0/);
  const parsed = parseTalosconfig(text);
  assert.equal(parsed.context, "home");
  assert.deepEqual(parsed.contexts.get("home")!.endpoints, ["10.0.0.10", "10.0.0.11"]);
  assert.equal(encodeTalosconfig(parsed), text);
});

test("an existing valid certificate is kept; near expiry, other roles or regenerate issue a new one", async () => {
  const first = await generateTalosconfig(input, at("2026-03-01T00:00:00Z"));
  const existing = parseTalosconfig(first.text);
  const kept = await generateTalosconfig({ ...input, existing, endpoints: ["10.0.0.12"] }, at("2026-06-01T00:00:00Z"));
  assert.equal(kept.certificateIssued, false);
  assert.equal(kept.talosconfig.contexts.get("home")!.crt, existing.contexts.get("home")!.crt);
  assert.deepEqual(kept.talosconfig.contexts.get("home")!.endpoints, ["10.0.0.12"]);
  const nearExpiry = await generateTalosconfig({ ...input, existing }, at("2027-02-15T00:00:00Z"));
  assert.equal(nearExpiry.certificateIssued, true);
  assert.equal(
    (await generateTalosconfig({ ...input, existing, regenerate: true }, at("2026-06-01T00:00:00Z"))).certificateIssued,
    true,
  );
  assert.equal(
    (await generateTalosconfig({ ...input, existing, roles: ["os:reader"] }, at("2026-06-01T00:00:00Z")))
      .certificateIssued,
    true,
  );
  const otherCa = await makeTestBundle();
  assert.equal(
    (await generateTalosconfig({ ...input, bundle: otherCa, existing }, at("2026-06-01T00:00:00Z"))).certificateIssued,
    true,
  );
});

test("other contexts of an existing talosconfig are preserved; unknown roles are rejected", async () => {
  const existing = parseTalosconfig(
    "context: other\ncontexts:\n    other:\n        endpoints: []\n        target: 1.2.3.4\n",
  );
  assert.deepEqual(existing.contexts.get("other")!.endpoints, ["1.2.3.4"]);
  const { talosconfig, text } = await generateTalosconfig({ ...input, existing }, at("2026-03-01T00:00:00Z"));
  assert.deepEqual([...talosconfig.contexts.keys()].sort(), ["home", "other"]);
  assert.match(text, /^context: home\ncontexts:\n {4}home:\n[\s\S]*\n {4}other:\n {8}endpoints:\n {12}- 1\.2\.3\.4\n$/);
  await assert.rejects(generateTalosconfig({ ...input, roles: ["os:root"] }), /unknown role/);
});

test("parseTalosconfig reports malformed files with the place", () => {
  assert.throws(() => parseTalosconfig("contexts: {}\n"), /context is missing/);
  assert.throws(
    () => parseTalosconfig("context: a\ncontexts:\n  a:\n    endpoints: [1]\n    ca: bm90IHBlbQ==\n"),
    /endpoints must be a list of strings|ca is not base64-encoded PEM/,
  );
});

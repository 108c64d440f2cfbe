import assert from "node:assert/strict";
import { test } from "node:test";
import { createPrivateKey } from "node:crypto";
import { generateKeyPair, privateKeyToTalosPem } from "../pki/index.js";
import { TalosClient } from "./client.js";
import { toNodeKeyPem } from "./pem.js";
import { isLoopbackHost, LoopbackGuardError, openTransport, parseEndpoint, type TlsDialer } from "./transport.js";
import { parseTalosconfig, renderTalosconfig, selectContext } from "./talosconfig.js";

test("the loopback guard refuses LAN addresses before any socket is opened", async () => {
  let dials = 0;
  const dial: TlsDialer = () => {
    dials++;
    throw new Error("must not dial");
  };
  for (const endpoint of ["10.0.0.1", "192.168.1.1:50000", "[fd00::1]:50000", "talos.example.com"]) {
    await assert.rejects(
      openTransport({ endpoint, credentials: { kind: "maintenance" }, env: { TALFORM_LOOPBACK_ONLY: "1" }, dial }),
      LoopbackGuardError,
    );
    await assert.rejects(
      openTransport({ endpoint, credentials: { kind: "maintenance" }, loopbackOnly: true, dial }),
      LoopbackGuardError,
    );
  }
  // Through the client, the guard surfaces as a per-node error — still without dialing.
  const client = new TalosClient({
    endpoints: ["192.168.1.1"],
    nodes: ["192.168.1.1", "10.0.0.1"],
    credentials: { kind: "maintenance" },
    env: { TALFORM_LOOPBACK_ONLY: "1" },
    dial,
  });
  const results = await client.version();
  client.close();
  assert.deepEqual(
    results.map((r) => r.error?.error.name),
    ["LoopbackGuardError", "LoopbackGuardError"],
  );
  assert.equal(dials, 0);
});

test("isLoopbackHost", () => {
  const table: [string, boolean][] = [
    ["127.0.0.1", true],
    ["127.0.21.3", true],
    ["::1", true],
    ["[::1]", true],
    ["localhost", true],
    ["::ffff:127.0.0.5", true],
    ["10.0.0.1", false],
    ["192.168.1.1", false],
    ["128.0.0.1", false],
    ["fd00::1", false],
    ["example.com", false],
    ["127.example.com", false],
  ];
  for (const [host, want] of table) assert.equal(isLoopbackHost(host), want, host);
});

test("parseEndpoint defaults to port 50000 and accepts host:port and [v6]:port", () => {
  const table: [string, { host: string; port: number }][] = [
    ["10.5.0.2", { host: "10.5.0.2", port: 50000 }],
    ["10.5.0.2:50001", { host: "10.5.0.2", port: 50001 }],
    ["https://cp.example:443", { host: "cp.example", port: 443 }],
    ["[fd00::1]:50000", { host: "fd00::1", port: 50000 }],
    ["fd00::1", { host: "fd00::1", port: 50000 }],
  ];
  for (const [e, want] of table) assert.deepEqual(parseEndpoint(e), want, e);
  assert.throws(() => parseEndpoint("a:b:c:"), /invalid/);
});

test("Talos's ED25519 PRIVATE KEY label is rewritten to PKCS#8 PRIVATE KEY for Node", () => {
  const pem = privateKeyToTalosPem(generateKeyPair("ed25519").privateKey);
  assert.match(pem, /BEGIN ED25519 PRIVATE KEY/);
  assert.throws(() => createPrivateKey(pem));
  assert.equal(createPrivateKey(toNodeKeyPem(pem)).asymmetricKeyType, "ed25519");
  const ec = privateKeyToTalosPem(generateKeyPair("ecdsa-p256").privateKey);
  assert.equal(toNodeKeyPem(ec), ec);
});

test("talosconfig round trip and context selection", () => {
  const pem = (label: string) => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
  const text = renderTalosconfig("demo", {
    endpoints: ["127.0.0.1"],
    nodes: ["127.0.0.1", "127.0.0.2"],
    ca: pem("CERTIFICATE"),
    crt: pem("CERTIFICATE"),
    key: pem("ED25519 PRIVATE KEY"),
  });
  const cfg = parseTalosconfig(text);
  const ctx = selectContext(cfg, "talosconfig");
  assert.deepEqual(ctx.nodes, ["127.0.0.1", "127.0.0.2"]);
  assert.match(ctx.key!, /ED25519 PRIVATE KEY/);
  assert.throws(() => selectContext(cfg, "talosconfig", "other"), /not defined/);
  assert.throws(() => parseTalosconfig("contexts:\n  a:\n    ca: bm90IHBlbQ==\n"), /not base64-encoded PEM/);
});

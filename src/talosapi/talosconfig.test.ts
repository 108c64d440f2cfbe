import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTalosconfig as parseTalosconfigStrict } from "../machineconfig/talosconfig.js";
import { parseTalosconfig, renderTalosconfig, selectContext } from "./talosconfig.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const CERT = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

test("the client reads talosconfig with machineconfig's parser: the deprecated target becomes the endpoint", () => {
  const text = `context: old\ncontexts:\n  old:\n    target: 10.0.0.5\n    ca: ${b64(CERT)}\n`;
  const ctx = selectContext(parseTalosconfig(text), "talosconfig");
  assert.deepEqual(ctx, { name: "old", endpoints: ["10.0.0.5"], nodes: [], ca: CERT });
  assert.deepEqual(parseTalosconfig(text), parseTalosconfigStrict(text));
});

test("a file without `context:` is read (talosctl allows it); selecting then needs --context", () => {
  const text = "contexts:\n  a:\n    endpoints: [127.0.0.1]\n";
  assert.throws(() => parseTalosconfigStrict(text), /context is missing/);
  const cfg = parseTalosconfig(text);
  assert.throws(() => selectContext(cfg, "tc"), /tc: no current context is set/);
  assert.deepEqual(selectContext(cfg, "tc", "a").endpoints, ["127.0.0.1"]);
  assert.throws(() => parseTalosconfig("context: [x]\ncontexts: {}\n"), /context must be a string/);
});

test("renderTalosconfig writes talosctl's layout, which both readers accept", () => {
  const text = renderTalosconfig("sim", {
    endpoints: ["127.0.0.1:50000"],
    nodes: ["127.0.0.1"],
    ca: CERT,
    crt: CERT,
    key: CERT.replace(/CERTIFICATE/g, "ED25519 PRIVATE KEY"),
  });
  assert.match(text, /^context: sim\ncontexts:\n {4}sim:\n {8}endpoints:\n {12}- 127\.0\.0\.1:50000\n/);
  assert.equal(selectContext(parseTalosconfigStrict(text), "t").crt, CERT);
});

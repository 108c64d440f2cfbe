import { test } from "node:test";
import assert from "node:assert/strict";
import { secretsFileWarnings } from "./file-shape.js";

test("a SOPS file without its metadata block is called truncated, not a bad certificate", () => {
  const cut =
    "cluster:\n    id: ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]\ncerts:\n    etcd:\n        crt: ENC[AES256_GCM,data:";
  assert.throws(
    () => secretsFileWarnings(cut, "/r/talsecret.sops.yaml"),
    /talsecret\.sops\.yaml holds SOPS-encrypted values but no sops: metadata block: the file is truncated/,
  );
  assert.throws(() => secretsFileWarnings("  \n", "/r/talsecret.yaml"), /is empty/);
});

test("a plaintext bundle is used with a warning that says so (and that its .sops. name is wrong)", () => {
  const [w] = secretsFileWarnings("cluster:\n  id: x\n", "/r/talsecret.sops.yaml");
  assert.equal(w?.severity, "warning");
  assert.equal(
    w?.message,
    "/r/talsecret.sops.yaml is a plaintext secrets bundle although its name says .sops. (not SOPS-encrypted)",
  );
  assert.equal(w?.hint, "encrypt it before committing: talform sops encrypt --in-place talsecret.sops.yaml");
  assert.match(
    secretsFileWarnings("cluster: {}\n", "/r/talsecret.yaml")[0]!.message,
    /talsecret\.yaml is a plaintext secrets bundle \(not SOPS/,
  );
  assert.deepEqual(secretsFileWarnings("cluster: {}\nsops:\n  mac: x\n", "/r/talsecret.sops.yaml"), []);
});

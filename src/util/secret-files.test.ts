import { test } from "node:test";
import assert from "node:assert/strict";
import { secretBearingReason } from "./secret-files.js";

test("secret-bearing paths beside talconfig.yaml; the encrypted and the ignore files may be committed", () => {
  const secret = [
    ".talform/kubeconfig",
    ".talform/etcd-snapshots/lab-1.db",
    ".talform/journal.json",
    ".talform/sim/talosconfig",
    "clusterconfig/lab-cp1.yaml",
    "clusterconfig/talosconfig",
    "talsecret.yaml",
    "kubeconfig",
    "sub/talosconfig",
    ".talform-journal.json",
    ".talform-sim/talosconfig",
  ];
  const fine = [
    "talconfig.yaml",
    "talsecret.sops.yaml",
    "talenv.sops.yaml",
    ".sops.yaml",
    ".gitignore",
    ".talform/.gitignore",
    "clusterconfig/.gitignore",
    "patches/time.yaml",
    "kubeconfig.md",
  ];
  for (const p of secret) assert.ok(secretBearingReason(p), `${p} is secret-bearing`);
  for (const p of fine) assert.equal(secretBearingReason(p), undefined, `${p} may be tracked`);
});

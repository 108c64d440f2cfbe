import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTestBundle } from "../machineconfig/test-support.js";
import { makeClientCert } from "../sim/certs.js";
import { certificateRoles, readOnlyForRoles } from "./backend.js";

test("the talosconfig's role decides read-only: os:reader and os:operator look only, os:admin may apply", async () => {
  const ca = (await makeTestBundle()).certs.os;
  const cases: [string[], boolean][] = [
    [["os:reader"], true],
    [["os:operator"], true],
    [["os:admin"], false],
  ];
  for (const [roles, readOnly] of cases) {
    const cert = await makeClientCert(ca, roles);
    assert.deepEqual(certificateRoles(cert.crt), roles);
    assert.equal(readOnlyForRoles(certificateRoles(cert.crt)), readOnly, roles.join());
  }
});

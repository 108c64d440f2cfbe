import { test } from "node:test";
import assert from "node:assert/strict";
import {
  closest,
  isCidr,
  isDomain,
  isEndpointUrl,
  isHostname,
  isLabelKey,
  isLabelValue,
  isSemVer,
  isTaintValue,
  splitIpAddresses,
} from "./formats.js";

test("formats: talhelper's isSemVer / isDomain / CIDR behaviour", () => {
  const semver: [string, boolean][] = [
    ["v1.2.3-4", true],
    ["1.2.3-444", true],
    ["v12.3", false],
    ["v1.2.3.4", false],
    ["v1.2.3", true],
    ["vv1.0.6", false],
  ];
  for (const [v, want] of semver) assert.equal(isSemVer(v), want, v);
  const domains: [string, boolean][] = [
    ["adomain,test", false],
    ["adomain.test", true],
    ["adomain", true],
    ["adomain?", false],
    ["1.2.3.4.5", true],
  ];
  for (const [v, want] of domains) assert.equal(isDomain(v), want, v);
  const cidrs: [string, boolean][] = [
    ["0.0.0.0/0", true],
    ["1.2.3.4/24", true],
    ["1.2.3.4", false],
    ["10.10.0.0/166", false],
    ["fd00::/64", true],
    ["fd00::/129", false],
    ["10.0.0.0/33", false],
  ];
  for (const [v, want] of cidrs) assert.equal(isCidr(v), want, v);
});

test("formats: hostnames, endpoints, labels, taints, ipAddress lists", () => {
  assert.equal(isHostname("cp-1.lab"), true);
  assert.equal(isHostname("CP1"), false);
  assert.equal(isHostname("-cp"), false);
  assert.equal(isEndpointUrl("https://10.0.0.1:6443"), true);
  assert.equal(isEndpointUrl("10.0.0.1:6443"), false);
  assert.equal(isLabelKey("node.kubernetes.io/exclude-from-external-load-balancers"), true);
  assert.equal(isLabelKey("ra*ck"), false);
  assert.equal(isLabelValue(""), true);
  assert.equal(isLabelValue("x".repeat(64)), false);
  assert.equal(isTaintValue("gpu:NoSchedule"), true);
  assert.equal(isTaintValue(":NoExecute"), true);
  assert.equal(isTaintValue("test:Noschedule"), false);
  assert.deepEqual(splitIpAddresses(" 10.0.0.1, 10.0.0.2 ,,"), ["10.0.0.1", "10.0.0.2"]);
});

test("closest suggests near misses only", () => {
  assert.equal(closest("nameserver", ["nameservers", "networkInterfaces"]), "nameservers");
  assert.equal(closest("clustername", ["clusterName", "endpoint"]), "clusterName");
  assert.equal(closest("zzzzzz", ["nameservers", "patches"]), undefined);
});

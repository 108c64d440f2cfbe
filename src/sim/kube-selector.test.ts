import assert from "node:assert/strict";
import { test } from "node:test";
import { labelSelector } from "./kube.js";

const POD = { "k8s-app": "kube-apiserver", tier: "control-plane" };

test("label selectors as kube-apiserver reads them", () => {
  const cases: [string, boolean][] = [
    ["", true],
    ["k8s-app=kube-apiserver", true],
    ["k8s-app = kube-apiserver", true],
    ["k8s-app==kube-apiserver", true],
    ["k8s-app!=kube-apiserver", false],
    ["k8s-app = kube-scheduler", false],
    ["k8s-app in (kube-apiserver,kube-scheduler,kube-controller-manager)", true],
    ["k8s-app in (kube-scheduler, kube-controller-manager)", false],
    ["k8s-app notin (kube-scheduler)", true],
    ["k8s-app in (kube-apiserver),tier=control-plane", true],
    ["k8s-app in (kube-apiserver),tier=worker", false],
    ["tier", true],
    ["!tier", false],
    ["missing", false],
    ["!missing", true],
  ];
  for (const [sel, want] of cases) assert.equal(labelSelector(sel)(POD), want, sel);
});

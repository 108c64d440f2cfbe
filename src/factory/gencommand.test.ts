import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TalformError } from "../diagnostics/index.js";
import { generateCommands, renderCommands, type GencommandInput } from "./gencommand.js";

const input: GencommandInput = {
  clusterName: "lab",
  outDir: "./clusterconfig",
  kubernetesVersion: "v1.34.1",
  nodes: [
    {
      hostname: "w0",
      ipAddress: "10.0.0.20",
      controlPlane: false,
      filename: "lab-w0.yaml",
      installerUrl: "factory.talos.dev/metal-installer/abc:v1.13.9",
    },
    {
      hostname: "cp0",
      ipAddress: "10.0.0.10, 10.0.0.11",
      controlPlane: true,
      filename: "lab-cp0.yaml",
      installerUrl: "factory.talos.dev/metal-installer/def:v1.13.9",
    },
    {
      hostname: "cp1",
      ipAddress: "10.0.0.12",
      controlPlane: true,
      filename: "lab-cp1.yaml",
      installerUrl: "ghcr.io/me/installer:v1.13.9",
    },
  ],
};
const tc = "--talosconfig=./clusterconfig/talosconfig";

describe("generateCommands (talhelper gencommand)", () => {
  const cases: [string, Parameters<typeof generateCommands>[0], string, readonly string[], string[]][] = [
    [
      "apply: every address of every node",
      "apply",
      "",
      [],
      [
        `talosctl apply-config ${tc} --nodes=10.0.0.20 --file=./clusterconfig/lab-w0.yaml;`,
        `talosctl apply-config ${tc} --nodes=10.0.0.10 --file=./clusterconfig/lab-cp0.yaml;`,
        `talosctl apply-config ${tc} --nodes=10.0.0.11 --file=./clusterconfig/lab-cp0.yaml;`,
        `talosctl apply-config ${tc} --nodes=10.0.0.12 --file=./clusterconfig/lab-cp1.yaml;`,
      ],
    ],
    [
      "apply --insecure by IP: just that IP",
      "apply",
      "10.0.0.11",
      ["--insecure"],
      [`talosctl apply-config ${tc} --nodes=10.0.0.11 --file=./clusterconfig/lab-cp0.yaml --insecure;`],
    ],
    [
      "upgrade by hostname: all its addresses",
      "upgrade",
      "cp0",
      [],
      [
        `talosctl upgrade ${tc} --nodes=10.0.0.10 --image=factory.talos.dev/metal-installer/def:v1.13.9;`,
        `talosctl upgrade ${tc} --nodes=10.0.0.11 --image=factory.talos.dev/metal-installer/def:v1.13.9;`,
      ],
    ],
    [
      "reset with flags after",
      "reset",
      "w0",
      ["--graceful=false", "--reboot"],
      [`talosctl reset ${tc} --nodes=10.0.0.20 --graceful=false --reboot;`],
    ],
    [
      "bootstrap: first control plane, flags before --nodes",
      "bootstrap",
      "",
      ["-e", "10.0.0.10"],
      [`talosctl bootstrap ${tc} -e 10.0.0.10 --nodes=10.0.0.10;`],
    ],
    [
      "kubeconfig by hostname: its first address",
      "kubeconfig",
      "cp1",
      [],
      [`talosctl kubeconfig ${tc} --nodes=10.0.0.12;`],
    ],
    [
      "upgrade-k8s: v-prefixed --to",
      "upgrade-k8s",
      "",
      [],
      [`talosctl upgrade-k8s ${tc} --to=v1.34.1 --nodes=10.0.0.10;`],
    ],
    [
      "upgrade-k8s by IP",
      "upgrade-k8s",
      "10.0.0.11",
      ["--dry-run"],
      [`talosctl upgrade-k8s ${tc} --to=v1.34.1 --dry-run --nodes=10.0.0.11;`],
    ],
    [
      "health: first control plane",
      "health",
      "",
      ["--wait-timeout=5m"],
      [`talosctl health ${tc} --nodes=10.0.0.10 --wait-timeout=5m;`],
    ],
    ["health: selected node passed verbatim", "health", "cp1", [], [`talosctl health ${tc} --nodes=cp1;`]],
  ];
  for (const [name, kind, node, extraFlags, want] of cases) {
    it(name, () => assert.deepEqual(generateCommands(kind, { ...input, extraFlags }, node), want));
  }

  it("errors with talhelper's messages", () => {
    const err = (re: RegExp) => (e: unknown) => e instanceof TalformError && re.test(e.message);
    assert.throws(() => generateCommands("apply", input, "nope"), err(/^node with IP or hostname nope not found$/));
    assert.throws(
      () => generateCommands("bootstrap", input, "w0"),
      err(/^node with hostname w0 is not a controlplane node$/),
    );
    assert.throws(
      () => generateCommands("kubeconfig", input, "10.0.0.20"),
      err(/^node with IP 10.0.0.20 is not a controlplane node$/),
    );
    assert.throws(() => generateCommands("upgrade-k8s", { ...input, kubernetesVersion: "" }), err(/kubernetesVersion/));
    assert.throws(() => generateCommands("bootstrap", { ...input, nodes: [input.nodes[0]!] }), err(/not found/));
  });

  it("renders lines with newlines and a custom talosconfig path", () => {
    assert.equal(
      renderCommands("kubeconfig", { ...input, talosconfigPath: "/tmp/tc" }),
      "talosctl kubeconfig --talosconfig=/tmp/tc --nodes=10.0.0.10;\n",
    );
  });
});

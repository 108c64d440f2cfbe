import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_FILENAME_TMPL, outputFilename } from "./from-talconfig.js";

test("outputFilename: talhelper's filenameTmpl fields and default", () => {
  const node = { clusterName: "lab", hostname: "w1", ipAddress: "10.0.0.2, 10.0.0.3", controlPlane: false };
  const table: [tmpl: string | undefined, want: string][] = [
    [undefined, "lab-w1.yaml"],
    ["", "lab-w1.yaml"],
    [DEFAULT_FILENAME_TMPL, "lab-w1.yaml"],
    ["{{.Role}}/{{.Hostname}}.yaml", "worker/w1.yaml"],
    ["{{ .IPAddress }}.yaml", "10.0.0.2, 10.0.0.3.yaml"],
    ["{{ if eq .Role \"worker\" }}w{{ else }}cp{{ end }}-{{ .Hostname | upper }}.yaml", "w-W1.yaml"],
  ];
  for (const [tmpl, want] of table) assert.equal(outputFilename(tmpl, node), want, String(tmpl));
  assert.equal(outputFilename("{{.Role}}", { ...node, controlPlane: true }), "controlplane");
  assert.throws(() => outputFilename("{{.Invalid}}.yaml", node), /filenameTmpl of w1/);
  assert.throws(() => outputFilename("{{ .Hostname ", node), /filenameTmpl of w1/);
});

test("outputFilename names the file genconfig writes (gencommand apply's --file= must point at it)", async () => {
  const { outputFileName } = await import("../genconfig/index.js");
  const templates = [undefined, DEFAULT_FILENAME_TMPL, "{{.Role}}-{{.Hostname}}.yaml", "{{ .IPAddress }}.yaml", "{{ if eq .Role \"worker\" }}w{{ else }}cp{{ end }}-{{ .Hostname | upper }}.yaml"];
  for (const controlPlane of [true, false]) {
    for (const filenameTmpl of templates) {
      const node = { index: 0, hostname: "n1", ipAddress: "10.0.0.2,10.0.0.3", role: controlPlane ? "controlplane" : "worker", controlPlane, ...(filenameTmpl ? { filenameTmpl } : {}) };
      const theirs = outputFileName(node as unknown as Parameters<typeof outputFileName>[0], "lab");
      assert.equal(outputFilename(filenameTmpl, { clusterName: "lab", hostname: "n1", ipAddress: node.ipAddress, controlPlane }), theirs, String(filenameTmpl));
    }
  }
});

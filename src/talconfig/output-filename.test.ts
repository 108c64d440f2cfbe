import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_FILENAME_TMPL, outputFilename } from "./output-filename.js";

test("outputFilename: talhelper's filenameTmpl fields and default", () => {
  const node = { clusterName: "lab", hostname: "w1", ipAddress: "10.0.0.2, 10.0.0.3", controlPlane: false };
  const table: [tmpl: string | undefined, want: string][] = [
    [undefined, "lab-w1.yaml"],
    ["", "lab-w1.yaml"],
    [DEFAULT_FILENAME_TMPL, "lab-w1.yaml"],
    ["{{.Role}}-{{.Hostname}}.yaml", "worker-w1.yaml"],
    ["{{ .IPAddress }}.yaml", "10.0.0.2, 10.0.0.3.yaml"],
    ['{{ if eq .Role "worker" }}w{{ else }}cp{{ end }}-{{ .Hostname | upper }}.yaml', "w-W1.yaml"],
  ];
  for (const [tmpl, want] of table) assert.equal(outputFilename(tmpl, node), want, String(tmpl));
  assert.equal(outputFilename("{{.Role}}", { ...node, controlPlane: true }), "controlplane");
  assert.throws(() => outputFilename("{{.Invalid}}.yaml", node), /filenameTmpl of w1: can't evaluate field Invalid/);
  assert.throws(() => outputFilename("{{ .Hostname ", node), /filenameTmpl of w1/);
});

test("outputFilename: only plain file names in the output folder", () => {
  const node = { clusterName: "lab", hostname: "w1", ipAddress: "10.0.0.2", controlPlane: false };
  for (const tmpl of [
    "{{.Role}}/{{.Hostname}}.yaml",
    "../{{.Hostname}}.yaml",
    "a\\b",
    "talosconfig",
    ".gitignore",
    "{{ if false }}x{{ end }}",
  ]) {
    assert.throws(() => outputFilename(tmpl, node), /not a file name in the output folder/, tmpl);
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { executeTemplate, recordField } from "./go-template.js";

const data = { Name: "n1", Role: "worker", Nets: ["10.0.0.0/8", "fd00::/8"], On: true, Empty: "" };
const run = (t: string) => executeTemplate(t, data, recordField, "test");

test("Go template subset: fields, pipelines, functions, if/else, range, trimming", () => {
  const cases: [string, string][] = [
    ["{{ .Name }}-{{.Role}}.yaml", "n1-worker.yaml"],
    ['{{ .Name | contains "1" }}', "true"],
    ['{{ .Name | upper | printf "%s!" }}', "N1!"],
    ['{{ if eq .Role "worker" }}w{{ else if eq .Role "controlplane" }}c{{ else }}?{{ end }}', "w"],
    ['{{ if ne .Role "worker" }}a{{- else }}  b  {{- end }}', "  b"],
    ["{{- range $n := .Nets }}\n- {{ $n }}\n{{- end }}", "\n- 10.0.0.0/8\n- fd00::/8"],
    ["{{ range .Nets }}[{{ . }}]{{ end }}", "[10.0.0.0/8][fd00::/8]"],
    ['{{ .Empty | default "x" }}', "x"],
    ["{{ with .Name }}{{ . }}{{ end }}", "n1"],
    ['{{ join "," .Nets }}', "10.0.0.0/8,fd00::/8"],
    ["{{ len .Nets }}", "2"],
    ["{{ not .On }}", "false"],
    ["{{ .Nets }}", "[10.0.0.0/8 fd00::/8]"],
    ['{{ $x := "v" }}{{ $x }}', "v"],
    ["plain text", "plain text"],
  ];
  for (const [tmpl, want] of cases) assert.equal(run(tmpl), want, tmpl);
});

test("unsupported or broken templates are errors, never output", () => {
  assert.throws(() => run("{{ .Missing }}"), /can't evaluate field Missing/);
  assert.throws(() => run("{{ nosuch .Name }}"), /function "nosuch" not defined/);
  assert.throws(() => run("{{ if .On }}x"), /missing \{\{end\}\}/);
  assert.throws(() => run("{{ .Name "), /unclosed action/);
  assert.throws(() => run('{{ template "x" }}'), /not supported/);
});

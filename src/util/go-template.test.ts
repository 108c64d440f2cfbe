import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { executeGoTemplate, GoTemplateError, isTemplated, recordField } from "./go-template.js";

// One engine for every template talhelper executes: URL templates (flat data), filenameTmpl, and node templates
// (nested data, lists, variables). Expected outputs are Go text/template + sprig's.
describe("executeGoTemplate: URL-template data", () => {
  const data = { A: "x", B: true, C: false, E: "", V: "1.2" };
  const cases: [string, string][] = [
    ["{{.A}}-{{.B}}", "x-true"],
    ["{{if .B}}y{{end}}{{if .C}}n{{end}}", "y"],
    ["{{if .C}}1{{else if .E}}2{{else}}3{{end}}", "3"],
    ["{{if and .B .A}}{{.A}}{{else}}no{{end}}", "x"],
    ["{{ or .E .A }}|{{ and .B .E }}|{{ not .E }}", "x||true"],
    ["a {{- .A -}} b", "axb"],
    ['{{ .V | printf "v%s" }}', "v1.2"],
    [
      '{{ print "v" .V }} {{ trimPrefix "1." .V }} {{ replace "." "-" .V }} {{ upper .A }} {{ default "d" .E }}',
      "v1.2 2 1-2 X d",
    ],
    ['{{ hasPrefix "v" .V }} {{ .A | upper }} {{ eq .A "x" }} {{/* comment */}}', "false X true "],
    ['{{ trimSuffix ".2" .V }} {{ eq .A "y" "x" }} {{ print 1 2 }}', "1 true 1 2"],
  ];
  for (const [tmpl, want] of cases) it(tmpl, () => assert.equal(executeGoTemplate(tmpl, data), want));
  for (const bad of [
    "{{if .B}}x",
    "{{end}}",
    "{{range .A}}{{end}}",
    "{{ .A",
    "{{ .Missing }}",
    "{{ nosuch .A }}",
    "{{ not }}",
    "{{ }}",
  ]) {
    it(`error: ${bad}`, () => assert.throws(() => executeGoTemplate(bad, data), GoTemplateError));
  }
});

describe("executeGoTemplate: node-template data", () => {
  const data = { Name: "n1", Role: "worker", Nets: ["10.0.0.0/8", "fd00::/8"], Empty2: [], On: true, Empty: "" };
  const run = (t: string) => executeGoTemplate(t, data, recordField);
  const cases: [string, string][] = [
    ["{{ .Name }}-{{.Role}}.yaml", "n1-worker.yaml"],
    ['{{ .Name | contains "1" }}', "true"],
    ['{{ .Name | upper | printf "%s!" }}', "N1!"],
    ['{{ if eq .Role "worker" }}w{{ else if eq .Role "controlplane" }}c{{ else }}?{{ end }}', "w"],
    ['{{ if ne .Role "worker" }}a{{- else }}  b  {{- end }}', "  b"],
    ["{{- range $n := .Nets }}\n- {{ $n }}\n{{- end }}", "\n- 10.0.0.0/8\n- fd00::/8"],
    ["{{ range $i, $n := .Nets }}{{ $i }}={{ $n }};{{ end }}", "0=10.0.0.0/8;1=fd00::/8;"],
    ["{{ range .Nets }}[{{ . }}]{{ end }}", "[10.0.0.0/8][fd00::/8]"],
    ["{{ range .Empty2 }}x{{ else }}none{{ end }}", "none"],
    ['{{ .Empty | default "x" }}', "x"],
    ["{{ with .Name }}{{ . }}{{ end }}", "n1"],
    ["{{ with .Empty }}{{ . }}{{ else }}empty{{ end }}", "empty"],
    ['{{ join "," .Nets }}', "10.0.0.0/8,fd00::/8"],
    ["{{ len .Nets }}", "2"],
    ["{{ not .On }}", "false"],
    ["{{ .Nets }}", "[10.0.0.0/8 fd00::/8]"],
    ['{{ $x := "v" }}{{ $x }}', "v"],
    ["{{ $.Name }}", "n1"],
    ['{{ (len .Nets) | printf "%d nets" }}', "2 nets"],
    ['{{ lt 1 2 }} {{ ge "b" "a" }}', "true true"],
    ["plain text", "plain text"],
  ];
  for (const [tmpl, want] of cases) it(tmpl, () => assert.equal(run(tmpl), want));

  it("unsupported or broken templates are errors, never output", () => {
    assert.throws(() => run("{{ .Missing }}"), /can't evaluate field Missing/);
    assert.throws(() => run("{{ nosuch .Name }}"), /function "nosuch" not defined/);
    assert.throws(() => run("{{ if .On }}x"), /missing \{\{end\}\}/);
    assert.throws(() => run("{{ .Name "), /unclosed action/);
    assert.throws(() => run('{{ template "x" }}'), /not supported/);
    assert.throws(() => run("{{ $nope }}"), /undefined variable/);
    assert.throws(() => run('{{ lt 1 "a" }}'), /incompatible types/);
    assert.throws(() => run("{{ upper }}"), /wrong number of args for upper: want 1 got 0/);
    assert.throws(() => run("{{ range .Name }}{{ end }}"), /range can't iterate over n1/);
  });

  it("templates over Go maps: missing keys print <no value>", () => {
    const field = (v: unknown, name: string) => (v instanceof Map ? v.get(name) : recordField(v, name));
    assert.equal(executeGoTemplate("{{ .a }}|{{ .b }}", new Map([["a", "1"]]), field), "1|<no value>");
  });
});

it("isTemplated needs both delimiters", () => {
  assert.equal(isTemplated("a {{ .B }}"), true);
  assert.equal(isTemplated("a {{ b"), false);
});

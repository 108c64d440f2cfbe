import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliFast } from "./test-support.js";

// Exit 70 means a bug in talform. Every failure a user can cause is 1 (the input or cluster) or 64 (the command
// line), and says how to fix it: a `hint:` line, or commander's "(run with --help for usage)".
// Each case runs in an empty folder with an empty HOME (no talconfig, talosconfig or age key anywhere).

interface Case {
  readonly argv: readonly string[];
  readonly code: 1 | 64;
  readonly says: RegExp;
  /** Files written into the folder first. */
  readonly files?: Readonly<Record<string, string>>;
}

const TALCONFIG =
  "clusterName: lab\ntalosVersion: v1.13.9\nendpoint: https://127.0.31.11:6443\nnodes:\n  - hostname: cp1\n    ipAddress: 127.0.31.11\n    controlPlane: true\n    installDisk: /dev/sda\n";
const PLACEHOLDER_SOPS =
  "creation_rules:\n  - path_regex: talsecret\\.sops\\.yaml$\n    age: age1-your-recipient-here\n";

const CASES: readonly Case[] = [
  { argv: ["validate"], code: 1, says: /talconfig\.yaml/ },
  { argv: ["genconfig"], code: 1, says: /talconfig\.yaml/ },
  { argv: ["plan"], code: 1, says: /talconfig\.yaml/ },
  { argv: ["apply", "--yes"], code: 1, says: /talconfig\.yaml/ },
  { argv: ["apply", "--resume", "--yes"], code: 1, says: /talconfig\.yaml/ },
  { argv: ["apply", "missing-plan.json"], code: 1, says: /missing-plan\.json does not exist/ },
  { argv: ["apply", "--max-parallel", "0"], code: 64, says: /--max-parallel/ },
  { argv: ["apply", "plan.json"], code: 1, says: /plan\.json/, files: { "plan.json": "{not json" } },
  { argv: ["gensecret", "--talos-version", "banana"], code: 64, says: /not a Talos version/ },
  { argv: ["gensecret", "--plaintext"], code: 64, says: /--plaintext needs/ },
  { argv: ["gensecret", "--out", "talsecret.sops.yaml"], code: 1, says: /\.sops\.yaml/ },
  {
    argv: ["gensecret", "--out", "talsecret.sops.yaml"],
    code: 1,
    says: /age1-your-recipient-here" is not an age public key/,
    files: { ".sops.yaml": PLACEHOLDER_SOPS },
  },
  {
    argv: ["validate"],
    code: 1,
    says: /sops-recipient/,
    files: { "talconfig.yaml": TALCONFIG, ".sops.yaml": PLACEHOLDER_SOPS },
  },
  {
    argv: ["genconfig"],
    code: 1,
    says: /talsecret/,
    files: { "talconfig.yaml": TALCONFIG.replace("endpoint", "kubernetesVersion: v1.36.3\nendpoint") },
  },
  { argv: ["genconfig", "--talos-mode", "moon"], code: 1, says: /not a mode/ },
  {
    argv: ["genconfig", "--crt-ttl", "forever"],
    code: 1,
    says: /not a duration/,
    files: { "talconfig.yaml": TALCONFIG },
  },
  { argv: ["gencommand", "apply"], code: 1, says: /talconfig\.yaml/ },
  { argv: ["schematic", "show", "-n", "cp1"], code: 1, says: /talconfig\.yaml/ },
  { argv: ["services"], code: 1, says: /talosconfig/ },
  { argv: ["version"], code: 1, says: /talosconfig/ },
  { argv: ["kubeconfig"], code: 1, says: /talosconfig/ },
  { argv: ["doctor"], code: 1, says: /talosconfig|node/ },
  { argv: ["health"], code: 1, says: /talosconfig|node/ },
  { argv: ["health", "--wait-timeout", "soon"], code: 1, says: /soon/ },
  { argv: ["logs", "kubelet", "--tail", "x"], code: 64, says: /--tail/ },
  { argv: ["apply-config", "--file", "missing.yaml"], code: 1, says: /missing\.yaml/ },
  { argv: ["upgrade"], code: 64, says: /--image/ },
  { argv: ["reboot", "-m", "sideways"], code: 64, says: /sideways/ },
  { argv: ["get"], code: 64, says: /type/ },
  { argv: ["sops", "decrypt", "missing.yaml"], code: 1, says: /missing\.yaml/ },
  { argv: ["sops", "encrypt", "missing.yaml"], code: 1, says: /missing\.yaml/ },
  {
    argv: ["sops", "decrypt", "plain.yaml"],
    code: 1,
    says: /not (sops-)?encrypted|sops metadata/i,
    files: { "plain.yaml": "a: 1\n" },
  },
  { argv: ["sim", "up"], code: 1, says: /talconfig\.yaml/ },
  { argv: ["demo", "--nodes", "cp=0"], code: 64, says: /at least one control plane/ },
  { argv: ["demo", "--subnet", "10.0.0"], code: 64, says: /not a loopback \/24/ },
  { argv: ["completion", "tcsh"], code: 64, says: /tcsh/ },
  { argv: ["no-such-command"], code: 64, says: /unknown command/ },
  { argv: ["validate", "--no-such-flag"], code: 64, says: /unknown option/ },
  ...["", "current-context: gone\n"].map((current): Case => ({
    argv: ["controller", "--kubeconfig", "kubeconfig", "--metrics-listen", "127.0.0.1:0"],
    code: 1,
    says: current ? /current-context "gone" names no known cluster/ : /current-context is not set/,
    files: { kubeconfig: `apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n${current}` },
  })),
];

test("every documented failure exits 1 or 64 with a located message and a way out, never 70", async () => {
  const failures: string[] = [];
  for (const c of CASES) {
    const dir = await mkdtemp(join(tmpdir(), "talform-failure-"));
    try {
      for (const [name, text] of Object.entries(c.files ?? {})) await writeFile(join(dir, name), text);
      const env = { HOME: join(dir, "home"), TALFORM_LOOPBACK_ONLY: "1" };
      const r = await runCliFast(c.argv, { cwd: dir, env });
      const label = `talform ${c.argv.join(" ")}${c.files ? ` (with ${Object.keys(c.files).join(", ")})` : ""}`;
      const out = r.stdout + r.stderr;
      if (r.code !== c.code) failures.push(`${label}: exit ${r.code}, expected ${c.code}\n${out}`);
      else if (!c.says.test(out)) failures.push(`${label}: output does not match ${c.says}\n${out}`);
      else if (!/hint: |run with --help|\(run with --help for usage\)/.test(out))
        failures.push(`${label}: no hint\n${out}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  assert.deepEqual(failures, []);
});

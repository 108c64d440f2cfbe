import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { repoRoot, runOracle } from "../conformance/support/oracles.js";
import { startSimTalosCluster } from "../src/controller/test-fleet.js";
import type { TalosClusterStatus } from "../src/controller/types.js";
import { startApiServer, type ApiServer } from "./support/apiserver.js";
import { CONTROLLER_IDENTITY, CONTROLLER_SA, clusterApi, controllerNamespace, until } from "./support/kube.js";

// `talform controller` (the CLI, a process of its own) against a real kube-apiserver as the service account
// deploy/rbac.yaml grants; kubectl (the oracle) reads what it wrote; deploy/ is server-side dry-run applied.

let api: ApiServer;
let admin: KubeConfig;

before(async () => {
  api = await startApiServer({ [CONTROLLER_SA]: CONTROLLER_IDENTITY });
  admin = api.kubeConfig();
  // kubectl installs the CRD here (the other file uses the API): what a user does, and what the dry-run compares to.
  const crd = await kubectl("apply", "-f", join(repoRoot, "deploy", "crd", "talosclusters.talform.dev.yaml"));
  assert.equal(crd.code, 0, crd.stderr);
  // kubectl wait fails at once while the new CRD has no conditions at all yet.
  await until(
    "the CRD to be established",
    async () =>
      (await kubectl("wait", "--for=condition=Established", "--timeout=30s", "crd/talosclusters.talform.dev")).code ===
      0,
  );
});
after(() => api?.stop());

const kubectl = (...args: string[]) => runOracle("kubectl", ["--kubeconfig", api.kubeconfigPath(), ...args]);

/** Starts `talform controller`; resolves with its metrics URL once it printed it. Stopped by PID in the test. */
function startCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "controller", ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const metricsUrl = until(
    "talform controller to start",
    async () => {
      if (child.exitCode !== null) throw new Error(`talform controller exited ${child.exitCode}:\n${out}`);
      return /metrics (http:\/\/\S+)/.exec(out)?.[1];
    },
    60_000,
  );
  return { child, exited, metricsUrl, output: () => out };
}

test("talform controller: a new TalosCluster gets Ready, a label change is exactly one apply-config; kubectl shows the printer columns; /metrics serves the counters", async () => {
  await controllerNamespace(admin, "cli");
  const s = await startSimTalosCluster("edge", "127.0.80", { workers: 1 });
  const cli = startCli(
    [
      "--kubeconfig",
      api.kubeconfigPath(CONTROLLER_SA),
      "--namespace",
      "cli",
      "--metrics-listen",
      "127.0.0.1:0",
      "--identity",
      "cli-1",
      "--resync",
      "1",
    ],
    s.env,
  );
  const tcs = clusterApi(admin, "cli");
  try {
    const url = await cli.metricsUrl;
    await tcs.create(s);
    const ready = (gen: number) => async () => {
      const st = await tcs.status("edge");
      return st?.phase === "Ready" && st.observedGeneration === gen && st;
    };
    await until("Ready", ready(1), 90_000);
    assert.deepEqual(
      s.fleet.nodes.map((n) => n.stage),
      ["running", "running"],
    );
    const before = { ...s.applied };

    const talconfig = structuredClone(s.talconfig) as { nodes: Record<string, unknown>[] };
    talconfig.nodes[1]!["nodeLabels"] = { "talform.dev/role": "edge" };
    await tcs.patch("edge", { spec: { talconfig: { inline: talconfig } } });
    const after2: TalosClusterStatus = await until(
      "the label to be applied",
      async () => s.applied["edge-w1"]! > before["edge-w1"]! && (await ready(2)()),
      90_000,
    );
    await new Promise((r) => setTimeout(r, 3000)); // a few resyncs: nothing more is applied
    assert.deepEqual(s.applied, { "edge-cp1": before["edge-cp1"], "edge-w1": before["edge-w1"]! + 1 });
    assert.equal(after2.lastPlan!.changes, 0);
    const applies = (await tcs.events("edge")).filter(
      (e) => e.reason === "StepStarted" && /apply-config/.test(e.message),
    );
    assert.deepEqual(
      applies.map((e) => e.message.split(":")[0]),
      ["edge-w1/1-apply-config"],
    );

    const got = await kubectl("get", "talosclusters", "-n", "cli");
    assert.equal(got.code, 0, got.stderr);
    const [header, row] = got.stdout.trimEnd().split("\n");
    assert.deepEqual(header!.split(/\s{2,}/), ["NAME", "NODES", "TALOS", "KUBERNETES", "PHASE", "LAST PLAN", "AGE"]);
    const cells = row!.split(/\s{2,}/);
    assert.deepEqual(cells.slice(0, 5), ["edge", "2", "v1.13.9", "v1.36.3", "Ready"]);
    assert.match(cells[5]!, /^[0-9a-f]{12}: no changes$/);
    const short = await kubectl(
      "get",
      "tc",
      "edge",
      "-n",
      "cli",
      "-o",
      "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
    );
    assert.equal(short.stdout, "True");

    const metrics = await (await fetch(url)).text();
    for (const line of [
      /^talform_controller_reconciles_total\{namespace="cli",cluster="edge",result="ready"\} [1-9]/m,
      /^talform_controller_reconciles_total\{namespace="cli",cluster="edge",result="applied"\} 2$/m,
      /^talform_controller_rollout_step_duration_seconds_count\{namespace="cli",cluster="edge",kind="apply-config"\} 1$/m,
      /^talform_controller_rollout_step_duration_seconds_count\{namespace="cli",cluster="edge",kind="install"\} 2$/m,
      /^talform_controller_plan_actions_pending\{namespace="cli",cluster="edge"\} 0$/m,
      /^talform_controller_leader 1$/m,
    ])
      assert.match(metrics, line);
  } finally {
    if (cli.child.exitCode === null) process.kill(cli.child.pid!, "SIGTERM");
    const code = await cli.exited;
    await s.stop();
    assert.equal(code, 0, cli.output());
  }
});

test("deploy/rbac.yaml grants the controller what it calls and nothing more (kubectl auth can-i, as the service account)", async () => {
  // The scenarios prove the Role is enough (the controller runs as this account); these prove it is no more.
  await controllerNamespace(admin, "rbac");
  const can = async (verb: string, resource: string) => {
    const [res, sub] = resource.split("/");
    const subresource = sub ? [`--subresource=${sub}`] : [];
    const r = await kubectl(
      "auth",
      "can-i",
      verb,
      res!,
      ...subresource,
      "-n",
      "rbac",
      "--as",
      CONTROLLER_IDENTITY.user,
    );
    return r.stdout.trim();
  };
  const table: [string, string, "yes" | "no"][] = [
    ["list", "talosclusters.talform.dev", "yes"],
    ["patch", "talosclusters.talform.dev/status", "yes"],
    ["update", "talosclusters.talform.dev", "no"],
    ["delete", "talosclusters.talform.dev", "no"],
    ["get", "configmaps", "yes"],
    ["update", "configmaps", "yes"],
    ["delete", "configmaps", "no"],
    ["get", "secrets", "yes"],
    ["list", "secrets", "no"],
    ["update", "secrets", "no"],
    ["create", "events", "yes"],
    ["update", "leases.coordination.k8s.io", "yes"],
    ["delete", "leases.coordination.k8s.io", "no"],
    ["create", "pods", "no"],
  ];
  const got = await Promise.all(table.map(async ([verb, res]) => [verb, res, await can(verb, res)]));
  assert.deepEqual(got, table);
  const other = await kubectl("auth", "can-i", "get", "secrets", "-n", "default", "--as", CONTROLLER_IDENTITY.user);
  assert.equal(other.stdout.trim(), "no");
});

test("deploy/: every manifest is accepted by a server-side dry-run apply, restricted pod security included", async () => {
  const ns = await kubectl("apply", "-f", join(repoRoot, "deploy", "namespace.yaml"));
  assert.equal(ns.code, 0, ns.stderr);
  const r = await kubectl("apply", "--dry-run=server", "-R", "-f", join(repoRoot, "deploy"));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  const applied = r.stdout.trim().split("\n").sort();
  assert.deepEqual(applied, [
    "customresourcedefinition.apiextensions.k8s.io/talosclusters.talform.dev unchanged (server dry run)",
    "deployment.apps/talform-controller created (server dry run)",
    "namespace/talform-system unchanged (server dry run)",
    "role.rbac.authorization.k8s.io/talform-controller created (server dry run)",
    "rolebinding.rbac.authorization.k8s.io/talform-controller created (server dry run)",
    "serviceaccount/talform-controller created (server dry run)",
  ]);
});

test("a misspelled key in an inline talconfig passes kubectl's strict field validation and is stored, for talform to report", async () => {
  const ns = await kubectl("create", "namespace", "typo");
  assert.equal(ns.code, 0, ns.stderr);
  const manifest = {
    apiVersion: "talform.dev/v1alpha1",
    kind: "TalosCluster",
    metadata: { name: "typo", namespace: "typo" },
    spec: {
      talconfig: {
        inline: {
          clusterName: "typo",
          kubernetesVersion: "v1.36.3",
          endpoint: "https://127.0.0.1:6443",
          nodes: [{ hostname: "cp1", ipAddress: "127.0.0.1", controlPlane: true, instalDisk: "/dev/sda" }],
        },
      },
      secrets: { secretRef: { name: "typo-secrets" }, ageKeySecretRef: { name: "typo-age" } },
    },
  };
  // Pruned, the typo would vanish before the controller sees it (the CRD keeps unknown keys in inline for that).
  const applied = await runOracle("kubectl", ["--kubeconfig", api.kubeconfigPath(), "apply", "-f", "-"], {
    input: JSON.stringify(manifest),
  });
  assert.equal(applied.code, 0, applied.stderr);
  const stored = await kubectl("get", "tc", "typo", "-n", "typo", "-o", "jsonpath={.spec.talconfig.inline.nodes[0]}");
  assert.equal(JSON.parse(stored.stdout).instalDisk, "/dev/sda");
  // Known keys are still typed by the CRD.
  const wrongType = await runOracle("kubectl", ["--kubeconfig", api.kubeconfigPath(), "apply", "-f", "-"], {
    input: JSON.stringify({
      ...manifest,
      spec: { ...manifest.spec, talconfig: { inline: { ...manifest.spec.talconfig.inline, nodes: "cp1" } } },
    }),
  });
  assert.notEqual(wrongType.code, 0);
  assert.match(wrongType.stderr, /spec\.talconfig\.inline\.nodes: Invalid value: "string": .*must be of type array/);
});

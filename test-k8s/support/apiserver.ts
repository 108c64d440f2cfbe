// A real kube-apiserver (with its embedded etcd) for the k8s suite: started once per test file on 127.0.0.1 with
// free ports, throwaway PKI and tokens in the file's temp dir, stopped by PID (also when a test fails). Built by
// scripts/install-kube-apiserver.sh; missing, the suite fails (never skips).
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { oraclePath } from "../../conformance/support/oracles.js";
import { createSelfSignedCertificate, generateKeyPair, issueCertificate } from "../../src/pki/index.js";

export interface Identity {
  readonly user: string;
  readonly groups: readonly string[];
}

export interface ApiServer {
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** A kubeconfig file for `identity` (default: the admin, in system:masters). */
  kubeconfigPath(identity?: string): string;
  kubeConfig(identity?: string): KubeConfig;
  /** What the server logged so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** The admin (system:masters); further identities are bearer tokens of their own (RBAC applies to them). */
export const ADMIN = "admin";

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET path with the CA and a bearer token; the status code, or an error when the server does not answer. */
function get(url: string, path: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Starts kube-apiserver. `identities` are extra users by name (e.g. the controller's service account, so the tests
 * run it under the RBAC deploy/ grants).
 */
export async function startApiServer(identities: Record<string, Identity> = {}): Promise<ApiServer> {
  const bin = oraclePath("kube-apiserver");
  const dir = await mkdtemp(join(tmpdir(), "talform-k8s-"));
  let child: ChildProcess | undefined;
  try {
    const now = new Date();
    const notAfter = new Date(now.getTime() + 24 * 3600_000);
    const notBefore = new Date(now.getTime() - 3600_000);
    const ca = await createSelfSignedCertificate(generateKeyPair("ecdsa-p256"), {
      commonName: "talform-test-ca",
      notBefore,
      notAfter,
      isCA: true,
      keyUsages: ["digitalSignature", "keyCertSign", "crlSign"],
    });
    const serving = await issueCertificate(ca, generateKeyPair("ecdsa-p256"), {
      commonName: "kube-apiserver",
      notBefore,
      notAfter,
      keyUsages: ["digitalSignature", "keyEncipherment"],
      extKeyUsages: ["serverAuth"],
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    });
    const sa = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const secret = (name: string, text: string) => writeFile(join(dir, name), text, { mode: 0o600 });
    await secret("ca.crt", ca.crt);
    await secret("serving.crt", serving.crt);
    await secret("serving.key", serving.key);
    await secret("sa.key", sa.privateKey.export({ format: "pem", type: "pkcs8" }) as string);
    await secret("sa.pub", sa.publicKey.export({ format: "pem", type: "spki" }) as string);
    const all: Record<string, Identity> = {
      [ADMIN]: { user: "talform-test-admin", groups: ["system:masters"] },
      ...identities,
    };
    const tokens = Object.fromEntries(Object.keys(all).map((id) => [id, randomBytes(24).toString("hex")]));
    // Static token file: token,user,uid,"group1,group2".
    await secret(
      "tokens.csv",
      Object.entries(all)
        .map(([id, who]) => `${tokens[id]},${who.user},${id},"${who.groups.join(",")}"`)
        .join("\n") + "\n",
    );
    const [port, etcdClient, etcdPeer] = [await freePort(), await freePort(), await freePort()];
    const args = [
      `--etcd-data-dir=${join(dir, "etcd")}`,
      `--etcd-client-port=${etcdClient}`,
      `--etcd-peer-port=${etcdPeer}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${join(dir, "certs")}`,
      `--tls-cert-file=${join(dir, "serving.crt")}`,
      `--tls-private-key-file=${join(dir, "serving.key")}`,
      `--client-ca-file=${join(dir, "ca.crt")}`,
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=https://127.0.0.1:${port}`,
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      "--service-cluster-ip-range=10.96.0.0/24",
      // Nothing creates service accounts' tokens here (no controller-manager); pods are only dry-run.
      "--disable-admission-plugins=ServiceAccount",
      "--allow-privileged=true",
      "--profiling=false",
      "--v=0",
    ];
    let output = "";
    child = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (c: Buffer) => {
      output = (output + c.toString("utf8")).slice(-20_000);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    // Should the test process die without its after() hook, the server goes with it (by PID, synchronously).
    const orphanGuard = () => child?.pid && child.exitCode === null && process.kill(child.pid, "SIGKILL");
    process.once("exit", orphanGuard);
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    void exited.then(() => process.off("exit", orphanGuard));
    let gone = false;
    void exited.then(() => (gone = true));
    const url = `https://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (gone) throw new Error(`kube-apiserver exited before it was ready:\n${output}`);
      if (Date.now() > deadline) throw new Error(`kube-apiserver was not ready within 120 s:\n${output}`);
      const r = await get(url, "/readyz", ca.crt, tokens[ADMIN]!).catch(() => undefined);
      if (r?.status === 200) break;
      await sleep(250);
    }
    const kubeconfigText = (id: string) =>
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "test", cluster: { server: url, "certificate-authority": join(dir, "ca.crt") } }],
        users: [{ name: id, user: { token: tokens[id] } }],
        contexts: [{ name: id, context: { cluster: "test", user: id, namespace: "default" } }],
        "current-context": id,
      });
    for (const id of Object.keys(all)) await secret(`kubeconfig-${id}`, kubeconfigText(id));
    const started = child;
    return {
      url,
      dir,
      pid: started.pid!,
      kubeconfigPath: (id = ADMIN) => join(dir, `kubeconfig-${id}`),
      kubeConfig(id = ADMIN) {
        const kc = new KubeConfig();
        kc.loadFromString(kubeconfigText(id));
        return kc;
      },
      log: () => output,
      async stop() {
        if (!gone) {
          process.kill(started.pid!, "SIGTERM");
          const t = setTimeout(() => !gone && process.kill(started.pid!, "SIGKILL"), 15_000);
          await exited;
          clearTimeout(t);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (child?.pid && child.exitCode === null) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { CommandDefiner } from "./index.js";

export const defineController: CommandDefiner = (program, ctx) => {
  program
    .command("controller")
    .description(
      "run the Kubernetes controller: reconcile every TalosCluster in a namespace with plan/apply (docs/controller.md)",
    )
    .option(
      "--kubeconfig <file>",
      "kubeconfig (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)",
    )
    .option("--namespace <ns>", "namespace of the TalosClusters and the lease (default: the pod's, else default)")
    .option("--metrics-listen <ip:port>", "where GET /metrics is served", "127.0.0.1:9464")
    .option("--identity <name>", "this replica's name in the lease and in Events (default: $POD_NAME, else host-pid)")
    .option("--resync <seconds>", "plan every TalosCluster again at least this often", "60")
    .option("--etcd-snapshot-dir <dir>", "save an etcd snapshot here before the first control-plane change")
    .action(
      async (o: {
        kubeconfig?: string;
        namespace?: string;
        metricsListen: string;
        identity?: string;
        resync: string;
        etcdSnapshotDir?: string;
      }) => {
        const c = await import("../../controller/index.js");
        const kc = c.loadKubeConfig(o.kubeconfig ? { kubeconfigPath: resolve(ctx.cwd, o.kubeconfig) } : {});
        const namespace = o.namespace ?? (await c.inClusterNamespace(ctx.env, kc));
        const identity = o.identity ?? ctx.env["POD_NAME"] ?? `${hostname()}-${process.pid}`;
        const kube = c.clientNodeKube(kc);
        const metrics = c.controllerMetrics();
        const served = await c.serveMetrics(metrics, o.metricsListen);
        const log = (line: string) => void ctx.stderr.write(`${new Date().toISOString()} ${line}\n`);
        const controller = c.startController({
          kube,
          namespace,
          identity,
          metrics,
          env: ctx.env,
          now: () => new Date(),
          randomHex: (n) => randomBytes(n).toString("hex"),
          log,
          resyncMs: Number(o.resync) * 1000,
          ...(o.etcdSnapshotDir ? { snapshotDir: resolve(ctx.cwd, o.etcdSnapshotDir) } : {}),
        });
        ctx.stdout.write(`talform controller ${identity}: namespace ${namespace}, metrics ${served.url}\n`);
        // SIGTERM (a Deployment's rollout) stops at the next step boundary; the journal lets the successor resume.
        await Promise.race([
          controller.stopped,
          new Promise<void>((done) => {
            process.once("SIGINT", done);
            process.once("SIGTERM", done);
          }),
        ]);
        log("stopping at the next step boundary");
        await controller.stop();
        await served.close();
      },
    );
};

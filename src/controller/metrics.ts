import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The controller's Prometheus metrics, in a registry of its own (prom-client; no global state). */
export interface ControllerMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<"namespace" | "cluster" | "result">;
  readonly actionsPending: Gauge<"namespace" | "cluster">;
  readonly stepDuration: Histogram<"namespace" | "cluster" | "kind">;
  readonly failures: Counter<"namespace" | "cluster" | "reason">;
  readonly leader: Gauge;
}

export function controllerMetrics(): ControllerMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({
      name: "talform_controller_reconciles_total",
      help: "Reconciles of a TalosCluster, by result (ready, planned, applied, waiting, invalid, failed, ...).",
      labelNames: ["namespace", "cluster", "result"],
      registers,
    }),
    actionsPending: new Gauge({
      name: "talform_controller_plan_actions_pending",
      help: "Changes in the TalosCluster's last plan that are not applied yet.",
      labelNames: ["namespace", "cluster"],
      registers,
    }),
    stepDuration: new Histogram({
      name: "talform_controller_rollout_step_duration_seconds",
      help: "How long rollout steps took, by kind (install, apply-config, upgrade, pre-check, verify, ...).",
      labelNames: ["namespace", "cluster", "kind"],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800],
      registers,
    }),
    failures: new Counter({
      name: "talform_controller_failures_total",
      help: "Reconciles that failed, by reason (InvalidSpec, PlanErrors, StepFailed, StalePlan, Error).",
      labelNames: ["namespace", "cluster", "reason"],
      registers,
    }),
    leader: new Gauge({
      name: "talform_controller_leader",
      help: "1 while this replica holds the leader lease.",
      registers,
    }),
  };
}

/** A step id's kind for the duration histogram: `cp1/1-install` → install, `k8s/v1.36.3/kubelet/w1` → k8s-kubelet. */
export function stepKind(stepId: string): string {
  if (stepId.startsWith("factory/")) return "register-schematic";
  const parts = stepId.split("/");
  if (parts[0] === "k8s") return `k8s-${parts[2] ?? "step"}`;
  return (parts[1] ?? "step").replace(/^\d+-/, "");
}

/** Serves `GET /metrics` on `listen` (`127.0.0.1:9464`; port 0: a free one). */
export async function serveMetrics(
  metrics: ControllerMetrics,
  listen: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = Number(listen.slice(i + 1));
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /metrics\n");
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      (e: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}/metrics`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

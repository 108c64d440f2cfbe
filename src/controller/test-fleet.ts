// Test-only: a simulated Talos fleet in maintenance mode, and the inputs a TalosCluster names for it — the talconfig
// (inline), the secrets bundle SOPS-encrypted to a throwaway age key (in memory only), and the env that keeps every
// connection on loopback. Used by the controller's unit tests and by the real-API-server scenarios in test-k8s/.
import { generateIdentity, identityToRecipient } from "age-encryption";
import { makeTestBundle } from "../machineconfig/test-support.js";
import { serializeSecretsBundle } from "../secrets/index.js";
import { SimImageFactory, startFleet, type Fleet } from "../sim/index.js";
import { encryptSopsText } from "../sops/index.js";
import { API_VERSION, KIND, type RolloutPolicy, type TalosCluster } from "./types.js";

export interface SimTalosCluster {
  readonly name: string;
  readonly fleet: Fleet;
  readonly factory: SimImageFactory;
  /** talconfig.yaml as the TalosCluster's `spec.talconfig.inline`. */
  readonly talconfig: Record<string, unknown>;
  readonly secretsText: string;
  readonly ageKey: string;
  readonly env: Record<string, string>;
  /** Lines each node logged when a running (installed) node applied a config: what `apply-config` did. */
  readonly applied: Record<string, number>;
  resource(namespace: string, rollout?: RolloutPolicy, talconfig?: Record<string, unknown>): TalosCluster;
  stop(): Promise<void>;
}

/** One control plane and `workers` workers on `<prefix>.1`, `<prefix>.11`…, the Kubernetes API sim on `<prefix>.100`. */
export async function startSimTalosCluster(
  name: string,
  prefix: string,
  o: { workers?: number; timeScale?: number; factory?: SimImageFactory } = {},
): Promise<SimTalosCluster> {
  const bundle = await makeTestBundle();
  // One controller has one TALFORM_IMAGE_FACTORY: clusters it manages together share a factory.
  const factory = o.factory ?? new SimImageFactory();
  if (!o.factory) await factory.start("127.0.0.1", 0);
  const nodes = [
    { hostname: `${name}-cp1`, address: `${prefix}.1`, controlPlane: true },
    ...Array.from({ length: o.workers ?? 1 }, (_, i) => ({
      hostname: `${name}-w${i + 1}`,
      address: `${prefix}.${11 + i}`,
      controlPlane: false,
    })),
  ];
  const endpoint = `https://${prefix}.100:6443`;
  const fleet = await startFleet(
    {
      clusterName: name,
      osCA: bundle.certs.os,
      kubernetesEndpoint: endpoint,
      nodes: nodes.map((n) => ({ ...n, talosVersion: "v1.13.9" })),
    },
    { timeScale: o.timeScale ?? 0.005, imageFactory: factory },
  );
  const applied: Record<string, number> = {};
  for (const n of fleet.nodes) {
    applied[n.hostname] = 0;
    n.subscribeLogs((service, line) => {
      if (service === "machined" && line.includes("applied configuration")) applied[n.hostname]!++;
    });
  }
  const identity = await generateIdentity();
  const secretsText = await encryptSopsText(serializeSecretsBundle(bundle), {
    path: "talsecret.sops.yaml",
    recipients: [await identityToRecipient(identity)],
  });
  const talconfig = {
    clusterName: name,
    talosVersion: "v1.13.9",
    kubernetesVersion: "v1.36.3",
    endpoint,
    nodes: nodes.map((n) => ({
      hostname: n.hostname,
      ipAddress: n.address,
      controlPlane: n.controlPlane,
      installDisk: "/dev/sda",
    })),
  };
  return {
    name,
    fleet,
    factory,
    talconfig,
    secretsText,
    ageKey: identity,
    env: { TALFORM_LOOPBACK_ONLY: "1", TALFORM_IMAGE_FACTORY: factory.url },
    applied,
    resource: (namespace, rollout = {}, tcfg = talconfig) => ({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name, namespace, uid: `uid-${name}`, generation: 1 },
      spec: {
        talconfig: { inline: tcfg },
        secrets: {
          secretRef: { name: `${name}-secrets` },
          ageKeySecretRef: { name: `${name}-age` },
        },
        rollout,
      },
    }),
    async stop() {
      await fleet.stop();
      if (!o.factory) await factory.stop();
    },
  };
}

// Test-only helper: a small, deterministic-shaped secrets bundle built with talform's own PKI (no reference files).
import { createSelfSignedCertificate, generateKeyPair, privateKeyToTalosPem, type KeyAlgorithm } from "../pki/index.js";
import type { SecretsBundle } from "../secrets/bundle.js";

const NOW = new Date("2026-01-01T00:00:00Z");
const TEN_YEARS = new Date("2036-01-01T00:00:00Z");

async function ca(alg: KeyAlgorithm, organizations: string[]) {
  return createSelfSignedCertificate(generateKeyPair(alg), {
    organizations,
    notBefore: NOW,
    notAfter: TEN_YEARS,
    isCA: true,
    keyUsages: ["digitalSignature", "keyCertSign"],
    extKeyUsages: ["serverAuth", "clientAuth"],
    subjectKeyId: new Uint8Array(20).fill(1),
  });
}

export async function makeTestBundle(): Promise<SecretsBundle> {
  const [etcd, k8s, k8saggregator, os] = await Promise.all([
    ca("ecdsa-p256", ["etcd"]),
    ca("ecdsa-p256", ["kubernetes"]),
    ca("ecdsa-p256", []),
    ca("ed25519", ["talos"]),
  ]);
  return {
    cluster: {
      id: "Y2x1c3Rlci1pZC1mb3ItdGVzdHMtMDEyMzQ1Njc4OTA=",
      secret: "c2VjcmV0LWZvci10ZXN0cy0wMTIzNDU2Nzg5MDEyMzQ=",
    },
    secrets: {
      bootstraptoken: "abcdef.0123456789abcdef",
      secretboxencryptionsecret: "c2VjcmV0Ym94LWZvci10ZXN0cy0wMTIzNDU2Nzg5MDE=",
    },
    trustdinfo: { token: "uvwxyz.0123456789uvwxyz" },
    certs: {
      etcd,
      k8s,
      k8saggregator,
      os,
      k8sserviceaccount: { key: privateKeyToTalosPem(generateKeyPair("ecdsa-p256").privateKey) },
    },
  };
}

/** The on-disk YAML of a bundle (`talosctl gen secrets` layout: base64 PEM), for tests that need a secrets file. */
export function encodeTestBundle(b: SecretsBundle): string {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const pair = (p: { crt: string; key: string }) => `\n        crt: ${b64(p.crt)}\n        key: ${b64(p.key)}`;
  return `cluster:
    id: ${b.cluster.id}
    secret: ${b.cluster.secret}
secrets:
    bootstraptoken: ${b.secrets.bootstraptoken}
    secretboxencryptionsecret: ${b.secrets.secretboxencryptionsecret ?? ""}
trustdinfo:
    token: ${b.trustdinfo.token}
certs:
    etcd:${pair(b.certs.etcd)}
    k8s:${pair(b.certs.k8s)}
    k8saggregator:${pair(b.certs.k8saggregator)}
    k8sserviceaccount:
        key: ${b64(b.certs.k8sserviceaccount.key)}
    os:${pair(b.certs.os)}
`;
}

import { stringify } from "yaml";
import type { SecretsBundle } from "./bundle.js";

export interface SerializeOptions {
  /** 4 = `talosctl gen secrets` (go-yaml default); 2 = `talhelper gensecret` (yaml.v3 with SetIndent(2)). */
  readonly indent?: 2 | 4;
}

const pem64 = (pem: string): string => Buffer.from(pem, "utf8").toString("base64");

/**
 * The bundle as Talos marshals it: lower-cased Go field names in struct order, every crt/key base64 of the whole
 * PEM text, the unused encryption secret omitted.
 */
export function serializeSecretsBundle(bundle: SecretsBundle, options: SerializeOptions = {}): string {
  const pair = (c: { crt: string; key: string }) => ({ crt: pem64(c.crt), key: pem64(c.key) });
  const doc = {
    cluster: { id: bundle.cluster.id, secret: bundle.cluster.secret },
    secrets: {
      bootstraptoken: bundle.secrets.bootstraptoken,
      ...(bundle.secrets.aescbcencryptionsecret
        ? { aescbcencryptionsecret: bundle.secrets.aescbcencryptionsecret }
        : {}),
      ...(bundle.secrets.secretboxencryptionsecret
        ? { secretboxencryptionsecret: bundle.secrets.secretboxencryptionsecret }
        : {}),
    },
    trustdinfo: { token: bundle.trustdinfo.token },
    certs: {
      etcd: pair(bundle.certs.etcd),
      k8s: pair(bundle.certs.k8s),
      k8saggregator: pair(bundle.certs.k8saggregator),
      k8sserviceaccount: { key: pem64(bundle.certs.k8sserviceaccount.key) },
      os: pair(bundle.certs.os),
    },
  };
  return stringify(doc, { indent: options.indent ?? 4, lineWidth: 0, minContentWidth: 0 });
}

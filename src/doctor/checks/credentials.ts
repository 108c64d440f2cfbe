import { X509Certificate } from "node:crypto";
import type { Finding } from "../types.js";
import { cFlag, reachable, type CheckContext } from "./context.js";
import { machineConfigFacts } from "../config-facts.js";

const DAY_MS = 24 * 3600 * 1000;
export const CERT_WARN_DAYS = 30;

/** The talosconfig's client certificate expired or expires within 30 days. */
export function clientCertificate(ctx: CheckContext): Finding[] {
  const tc = ctx.local.talosconfig;
  if (!tc?.crt) return [];
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(tc.crt);
  } catch (e) {
    return [
      {
        code: "talosconfig-cert",
        severity: "error",
        symptom: `${tc.path}: the client certificate cannot be parsed`,
        evidence: [(e as Error).message],
        fix: `talform genconfig${cFlag(ctx)}`,
      },
    ];
  }
  const notAfter = new Date(cert.validTo);
  const days = Math.floor((notAfter.getTime() - ctx.now.getTime()) / DAY_MS);
  if (days >= CERT_WARN_DAYS) return [];
  const expired = notAfter.getTime() <= ctx.now.getTime();
  return [
    {
      code: "talosconfig-cert-expiry",
      severity: expired ? "error" : "warning",
      symptom: expired
        ? `${tc.path}: the client certificate expired on ${notAfter.toISOString()}`
        : `${tc.path}: the client certificate expires in ${days} days (${notAfter.toISOString()})`,
      evidence: [
        `talosconfig client certificate: subject ${cert.subject.replace(/\n/g, ", ")}, notAfter ${notAfter.toISOString()}`,
      ],
      // talosconfig client certificates are issued from the secrets' OS CA each time the config is generated.
      fix: `talform genconfig${cFlag(ctx)} (issues a new client certificate into clusterconfig/talosconfig)`,
    },
  ];
}

const sameCert = (a: string, b: string): boolean => {
  try {
    return new X509Certificate(a).fingerprint256 === new X509Certificate(b).fingerprint256;
  } catch {
    return a.trim() === b.trim();
  }
};

/**
 * Secrets identity guard: the OS CA in the local secrets must be the cluster's (the CA in the nodes' machine config,
 * else the talosconfig's). Generating or applying with another cluster's secrets would lock the nodes out.
 */
export function secretsIdentity(ctx: CheckContext): Finding[] {
  const secrets = ctx.local.secrets;
  if (!secrets) return [];
  const out: Finding[] = [];
  const clusterCa = reachable(ctx)
    .map((n) => ({ n, ca: n.activeConfig ? machineConfigFacts(n.activeConfig).osCaCrt : undefined }))
    .find((x) => x.ca !== undefined);
  const against = clusterCa
    ? { what: `MachineConfig .machine.ca on ${clusterCa.n.node}`, crt: clusterCa.ca! }
    : ctx.local.talosconfig?.ca
      ? { what: `talosconfig ${ctx.local.talosconfig.path} CA`, crt: ctx.local.talosconfig.ca }
      : undefined;
  if (against && !sameCert(secrets.osCaCrt, against.crt)) {
    const fp = (c: string) => {
      try {
        return new X509Certificate(c).fingerprint256;
      } catch {
        return "(unparsable)";
      }
    };
    out.push({
      code: "secrets-identity",
      severity: "error",
      symptom: `${secrets.file} holds another cluster's OS CA: configs generated from it would not be trusted by the nodes`,
      evidence: [
        `${secrets.file} certs.os.crt SHA-256 ${fp(secrets.osCaCrt)}`,
        `${against.what} SHA-256 ${fp(against.crt)}`,
      ],
      fix: `restore this cluster's secrets file (e.g. \`git checkout -- ${secrets.file}\`) before running talform genconfig or apply-config`,
    });
  }
  return out;
}

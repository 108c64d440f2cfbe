import { stringify } from "yaml";
import { TalformError } from "../diagnostics/index.js";
import { STATE_DIR } from "../util/state-dir.js";

/** What `talform init` needs to write a cluster folder. */
export interface InitAnswers {
  readonly clusterName: string;
  /** https://host:6443 */
  readonly endpoint: string;
  readonly talosVersion: string;
  readonly kubernetesVersion: string;
  readonly nodes: readonly InitNode[];
  /** Prefix length of the nodes' network (the address is written as IP/prefix). */
  readonly prefix: number;
  /** Default gateway; without one the nodes get no routes (only their own subnet is reachable). */
  readonly gateway?: string;
  readonly nameservers: readonly string[];
  readonly timeServers: readonly string[];
}

export interface InitNode {
  readonly hostname: string;
  readonly address: string;
  readonly controlPlane: boolean;
}

/**
 * `--node NAME=IP:ROLE` (role controlplane, cp or worker; default worker), e.g. `cp1=10.0.10.11:controlplane`.
 */
export function parseNodeFlag(text: string): InitNode {
  const m = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?)=([^:=\s]+)(?::(controlplane|control-plane|cp|worker))?$/i.exec(
    text.trim(),
  );
  if (!m) {
    throw new TalformError(`--node "${text}" is not NAME=ADDRESS[:ROLE]`, {
      code: "usage",
      hint: "write e.g. --node cp1=10.0.10.11:controlplane --node w1=10.0.10.21:worker",
      exitCode: 64,
    });
  }
  const role = (m[4] ?? "worker").toLowerCase();
  return { hostname: m[1]!, address: m[3]!, controlPlane: role !== "worker" };
}

/** Checks the answers the way `validate` would, before anything is written, so init fails as a usage error. */
export function checkAnswers(a: InitAnswers): void {
  const fail = (message: string, hint: string) => {
    throw new TalformError(message, { code: "usage", hint, exitCode: 64 });
  };
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(a.clusterName))
    fail(
      `cluster name "${a.clusterName}" is not a DNS label`,
      "use lowercase letters, digits and -, e.g. --name homelab",
    );
  if (!/^https:\/\/[^/\s]+:\d+$/.test(a.endpoint))
    fail(`endpoint "${a.endpoint}" is not https://HOST:PORT`, "write e.g. --endpoint https://10.0.10.10:6443");
  if (a.nodes.length === 0)
    fail("a cluster needs nodes", "add --node cp1=10.0.10.11:controlplane (repeat for each node)");
  if (!a.nodes.some((n) => n.controlPlane))
    fail(
      "a cluster needs at least one control-plane node",
      "give one node the role controlplane: --node cp1=10.0.10.11:controlplane",
    );
  if (!Number.isInteger(a.prefix) || a.prefix < 1 || a.prefix > 128)
    fail(`prefix ${a.prefix} is not a prefix length`, "write e.g. --prefix 24");
  const seen = new Set<string>();
  for (const n of a.nodes) {
    if (seen.has(n.hostname)) fail(`node ${n.hostname} is given twice`, "give every node its own name");
    seen.add(n.hostname);
  }
}

/** talconfig.yaml as init writes it: talhelper-compatible, with the schema line editors read. */
export function talconfigText(a: InitAnswers, schemaRef: string): string {
  const group = { nameservers: [...a.nameservers] };
  const body = stringify(
    {
      clusterName: a.clusterName,
      talosVersion: a.talosVersion,
      kubernetesVersion: a.kubernetesVersion,
      endpoint: a.endpoint,
      patches: [stringify({ machine: { time: { servers: [...a.timeServers] } } }).trimEnd()],
      controlPlane: group,
      worker: group,
      nodes: a.nodes.map((n) => ({
        hostname: n.hostname,
        ipAddress: n.address,
        controlPlane: n.controlPlane,
        installDisk: "/dev/sda",
        networkInterfaces: [
          {
            deviceSelector: { physical: true },
            addresses: [`${n.address}/${a.prefix}`],
            ...(a.gateway
              ? { routes: [{ network: n.address.includes(":") ? "::/0" : "0.0.0.0/0", gateway: a.gateway }] }
              : {}),
          },
        ],
      })),
    },
    { aliasDuplicateObjects: false },
  );
  return `# yaml-language-server: $schema=${schemaRef}\n# Written by \`talform init\`; \`talform validate\` checks it, \`talform genconfig\` renders it.\n${body}`;
}

/** `.sops.yaml`: the secrets bundle and a talenv.sops.yaml encrypted for one age recipient (sops's own format). */
export function sopsYamlText(recipient: string): string {
  return `# Who can decrypt the secrets: add a line per person or machine (their age public key).
creation_rules:
  - path_regex: talsecret\\.sops\\.yaml$
    age: ${recipient}
  - path_regex: talenv\\.sops\\.yaml$
    age: ${recipient}
`;
}

/** Lines of the cluster folder's `.gitignore`: every file that holds or derives from secrets in plaintext. */
export const GITIGNORE_LINES = [
  "# talform: files that hold or derive from secrets (the encrypted *.sops.yaml files are meant to be committed)",
  "clusterconfig/",
  `${STATE_DIR}/`,
  "talsecret.yaml",
  "talsecret.yml",
  "*.decrypted.yaml",
  "kubeconfig",
  "talosconfig",
] as const;

/** `.gitignore` with talform's lines added to what is already there (nothing is removed or reordered). */
export function gitignoreText(existing: string | undefined): string {
  const have = new Set((existing ?? "").split("\n").map((l) => l.trim()));
  const missing = GITIGNORE_LINES.filter((l) => !have.has(l));
  if (missing.length === 0) return existing ?? "";
  const base = existing && !existing.endsWith("\n") ? `${existing}\n` : (existing ?? "");
  return `${base}${base ? "\n" : ""}${missing.join("\n")}\n`;
}

/** The schema line's value: first `# yaml-language-server: $schema=` of a talconfig text, if any. */
export function hasSchemaLine(text: string): boolean {
  return /^#\s*yaml-language-server:\s*\$schema=/m.test(text);
}

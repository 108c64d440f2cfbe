import { createHash, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import * as tls from "node:tls";
import type { Duplex } from "node:stream";
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { toNodeKeyPem } from "./pem.js";

/** apid's port; Talos always dials it, and so do we unless an endpoint names another port. */
export const TALOS_API_PORT = 50000;
/** apid's `MaxRecvMsgSize` (`constants.GRPCMaxMessageSize`); talosctl sets the same call limit. */
export const GRPC_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** Dials one TLS connection; injected in tests to prove the loopback guard refuses before any socket exists. */
export type TlsDialer = (options: tls.ConnectionOptions) => tls.TLSSocket;

export type TransportCredentials =
  /** Normal mode: mutual TLS, the server verified against the cluster's OS CA. */
  | { readonly kind: "mtls"; readonly ca: string; readonly crt: string; readonly key: string }
  /**
   * Maintenance mode (`--insecure`): no client certificate and the node's per-boot CA is unknown, so the server is not
   * verified against a CA — only, when given, against the SPKI fingerprint the node printed (base64 SHA-256).
   */
  | { readonly kind: "maintenance"; readonly fingerprint?: string };

export interface TransportOptions {
  /** `host`, `host:port` or `[v6]:port`; the port defaults to 50000. */
  readonly endpoint: string;
  readonly credentials: TransportCredentials;
  /** Refuse non-loopback endpoints. Defaults to `TALFORM_LOOPBACK_ONLY=1` in `env`. */
  readonly loopbackOnly?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default per-call deadline. */
  readonly defaultTimeoutMs?: number;
  readonly dial?: TlsDialer;
}

export interface TalosTransport {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  /** Closes the HTTP/2 session; in-flight calls fail. */
  close(): void;
}

export class LoopbackGuardError extends Error {
  constructor(readonly host: string) {
    super(
      `refusing to connect to ${host}: only loopback addresses (127.0.0.0/8, ::1, localhost) may be contacted while ` +
        `TALFORM_LOOPBACK_ONLY=1 (tests and the simulator demo). Use a 127.x address or unset TALFORM_LOOPBACK_ONLY.`,
    );
    this.name = "LoopbackGuardError";
  }
}

export function loopbackOnlyFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env["TALFORM_LOOPBACK_ONLY"];
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** True for 127.0.0.0/8, ::1, IPv4-mapped 127.x and the name `localhost`. Other names are not resolved: refused. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.split(".")[0] === "127";
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1";
  return false;
}

/** Throws before any socket is opened when the guard is on and `host` is not loopback. */
export function assertDialAllowed(host: string, loopbackOnly: boolean): void {
  if (loopbackOnly && !isLoopbackHost(host)) throw new LoopbackGuardError(host);
}

/** Splits `host`, `host:port`, `[v6]` or `[v6]:port`. A bare IPv6 address has no port. */
export function parseEndpoint(endpoint: string, defaultPort = TALOS_API_PORT): { host: string; port: number } {
  const e = endpoint
    .trim()
    .replace(/^https?:\/\//, "")
    .replace(/\/+$/, "");
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  if (isIP(e) === 6) return { host: e, port: defaultPort };
  const m = /^([^:]+)(?::(\d+))?$/.exec(e);
  if (!m) throw new Error(`invalid endpoint "${endpoint}": expected host, host:port or [ipv6]:port`);
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (!(port > 0 && port < 65536)) throw new Error(`invalid port in endpoint "${endpoint}"`);
  return { host: m[1]!, port };
}

/** base64(SHA-256(SubjectPublicKeyInfo DER)) of a certificate — what Talos prints as the maintenance fingerprint. */
export function spkiFingerprint(certDer: Uint8Array): string {
  const spki = new X509Certificate(certDer).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

// One TLS context per set of credentials: building one parses the CA, the certificate and the key, which tls.connect
// otherwise repeats for every connection (a plan or rollout opens one per node; ~0.5 ms each).
const secureContexts = new Map<string, tls.SecureContext>();
const SECURE_CONTEXTS_MAX = 16;

function secureContextFor(c: Extract<TransportCredentials, { kind: "mtls" }>): tls.SecureContext {
  const id = `${c.ca}\0${c.crt}\0${c.key}`;
  let context = secureContexts.get(id);
  if (!context) {
    if (secureContexts.size >= SECURE_CONTEXTS_MAX) secureContexts.clear();
    context = tls.createSecureContext({ ca: c.ca, cert: c.crt, key: toNodeKeyPem(c.key), minVersion: "TLSv1.2" });
    secureContexts.set(id, context);
  }
  return context;
}

const urlHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/**
 * A gRPC (HTTP/2, TLS 1.2+, ALPN h2) transport to one apid endpoint. The loopback guard runs first, then in maintenance
 * mode with a fingerprint the server is pinned on a pre-connected socket (Node skips `checkServerIdentity` when
 * `rejectUnauthorized` is off, and destroying a socket inside http2's own connect crashes Node 20 — talos-api.md P16).
 */
export async function openTransport(options: TransportOptions): Promise<TalosTransport> {
  const { host, port } = parseEndpoint(options.endpoint);
  const loopbackOnly = options.loopbackOnly ?? loopbackOnlyFromEnv(options.env ?? process.env);
  assertDialAllowed(host, loopbackOnly);
  const dial: TlsDialer = options.dial ?? ((o) => tls.connect(o));
  const servername = isIP(host) ? undefined : host;
  const base: tls.ConnectionOptions = {
    host,
    port,
    minVersion: "TLSv1.2",
    ALPNProtocols: ["h2"],
    ...(servername ? { servername } : {}),
  };

  let tlsOptions: tls.ConnectionOptions;
  let pinned: tls.TLSSocket | undefined;
  if (options.credentials.kind === "mtls") {
    tlsOptions = { ...base, secureContext: secureContextFor(options.credentials), rejectUnauthorized: true };
  } else {
    tlsOptions = { ...base, rejectUnauthorized: false };
    if (options.credentials.fingerprint) pinned = await dialPinned(dial, tlsOptions, options.credentials.fingerprint);
  }

  const createConnection = (): Duplex => {
    assertDialAllowed(host, loopbackOnly);
    if (pinned) {
      const s = pinned;
      pinned = undefined;
      return s;
    }
    if (options.credentials.kind === "maintenance" && options.credentials.fingerprint) {
      throw new Error(`the pinned maintenance connection to ${host}:${port} was closed; open a new transport`);
    }
    return dial(tlsOptions);
  };
  const url = `https://${urlHost(host)}:${port}`;
  const sessionManager = new Http2SessionManager(url, { idleConnectionTimeoutMs: 15_000 }, { createConnection });
  const transport = createGrpcTransport({
    baseUrl: url,
    sessionManager,
    readMaxBytes: GRPC_MAX_MESSAGE_BYTES,
    writeMaxBytes: GRPC_MAX_MESSAGE_BYTES,
    ...(options.defaultTimeoutMs ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
  });
  return {
    transport,
    host,
    port,
    close() {
      sessionManager.abort();
      pinned?.destroy();
    },
  };
}

function dialPinned(dial: TlsDialer, options: tls.ConnectionOptions, fingerprint: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = dial(options);
    socket.once("error", reject);
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      const peer = socket.getPeerCertificate(false);
      const actual = peer?.raw ? spkiFingerprint(peer.raw) : "";
      if (actual !== fingerprint) {
        socket.destroy();
        reject(
          new Error(
            `server certificate fingerprint mismatch at ${String(options.host)}: expected ${fingerprint}, got ${actual || "no certificate"}`,
          ),
        );
        return;
      }
      resolve(socket);
    });
  });
}

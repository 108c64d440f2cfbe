import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { canonicalSchematicYaml, parseSchematic, schematicId, type Schematic } from "../factory/index.js";

/**
 * A simulated Image Factory on loopback, with the routes and status codes of siderolabs/image-factory's HTTP frontend
 * (`internal/frontend/http/api/schematic.go`, `registry_routes.go`):
 *
 * - `POST /schematics` (YAML or JSON body) → 201 `{"id","schematic"}`; an invalid schematic → 400 with the reason;
 * - `GET /schematics/<id>` → 200 the canonical YAML (`application/yaml`), or 404 `schematic not found`;
 * - `HEAD|GET /v2/<image>/<id>/manifests/<tag>` → 200 for a registered schematic, 404 `MANIFEST_UNKNOWN` otherwise.
 *
 * Like the real factory it serves installer images only for schematics registered with it, and the simulated nodes
 * ask it when they pull one. Every request is logged (method, path, status) for tests and `sim up`'s output.
 */
export interface FactoryRequestLog {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly at: string;
}

export type FactoryFault = { readonly kind: "refuse"; readonly id: string } | { readonly kind: "down" };

export const FACTORY_FAULT_NAMES = ["refuse=SCHEMATIC_ID_PREFIX|all", "down", "clear"];

export class SimImageFactory {
  private readonly schematics = new Map<string, Schematic>();
  readonly requests: FactoryRequestLog[] = [];
  private refused = new Set<string>();
  private server: Server | undefined;
  private host = "127.0.0.1";
  private port = 0;

  constructor(private readonly onRequest?: (r: FactoryRequestLog) => void) {}

  /** `http://127.0.0.1:PORT` once listening. */
  get url(): string {
    return `http://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** The `imageFactory.registryURL` value that points at this factory (`127.0.0.1:PORT`). */
  get registryURL(): string {
    return this.url.replace(/^http:\/\//, "");
  }

  async start(host = "127.0.0.1", port = 0): Promise<void> {
    this.host = host;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** The extensions of a registered schematic; undefined when the factory does not know it (the pull fails). */
  extensionsOf(id: string): readonly string[] | undefined {
    const s = this.schematics.get(id);
    return s ? [...(s.customization?.systemExtensions?.officialExtensions ?? [])] : undefined;
  }

  registered(): string[] {
    return [...this.schematics.keys()];
  }

  /**
   * Schematics the factory already serves (a fleet spec's `schematics`: ID → extensions, e.g. the ISOs the machines
   * booted). Only their extensions are known, so GET answers a schematic of just those extensions.
   */
  preload(schematics: Readonly<Record<string, readonly string[]>>): void {
    for (const [id, ext] of Object.entries(schematics)) {
      if (!this.schematics.has(id))
        this.schematics.set(id, { customization: { systemExtensions: { officialExtensions: [...ext] } } });
    }
  }

  /** Registers a schematic directly (what a `POST /schematics` from elsewhere did before); returns its ID. */
  register(schematic: Schematic): string {
    const id = schematicId(schematic);
    this.schematics.set(id, schematic);
    return id;
  }

  async fault(f: FactoryFault | { readonly kind: "clear" }): Promise<void> {
    if (f.kind === "refuse") this.refused.add(f.id);
    if (f.kind === "down") await this.stop();
    if (f.kind === "clear") {
      this.refused = new Set();
      if (!this.server) await this.start(this.host, this.port);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://factory").pathname;
    const send = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
      const entry = { method: req.method ?? "?", path, status, at: new Date().toISOString() };
      this.requests.push(entry);
      this.onRequest?.(entry);
    };
    const body = await readBody(req);
    if (req.method === "POST" && path === "/schematics") {
      let schematic: Schematic;
      try {
        schematic = parseSchematic(body);
      } catch (e) {
        return send(400, `${(e as Error).message}\n`);
      }
      const id = schematicId(schematic);
      if ([...this.refused].some((r) => r === "all" || id.startsWith(r)))
        return send(400, `schematic ${id} is refused by the simulated factory (fault refuse)\n`);
      this.schematics.set(id, schematic);
      return send(201, JSON.stringify({ id, schematic: canonicalSchematicYaml(schematic) }) + "\n", "application/json");
    }
    const get = /^\/schematics\/([^/]+)$/.exec(path);
    if (get && (req.method === "GET" || req.method === "HEAD")) {
      const s = this.schematics.get(get[1]!);
      return s ? send(200, canonicalSchematicYaml(s), "application/yaml") : send(404, "schematic not found\n");
    }
    const manifest = /^\/v2\/(.+)\/([0-9a-f]{64})\/manifests\/(v\d+\.\d+\.\d+[^/]*)$/.exec(path);
    if (manifest && (req.method === "GET" || req.method === "HEAD")) {
      if (this.schematics.has(manifest[2]!) && /installer/.test(manifest[1]!)) {
        return send(
          200,
          JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] }),
          "application/vnd.oci.image.index.v1+json",
        );
      }
      return send(
        404,
        JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }),
        "application/json",
      );
    }
    return send(404, "404 page not found\n");
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Parses `refuse=<id>|all`, `down`, `clear`. */
export function parseFactoryFault(text: string): FactoryFault | { readonly kind: "clear" } {
  if (text === "down") return { kind: "down" };
  if (text === "clear") return { kind: "clear" };
  const m = /^refuse=([0-9a-f]{8,64}|all)$/.exec(text);
  if (m) return { kind: "refuse", id: m[1]! };
  throw new Error(`unknown factory fault "${text}" (known: ${FACTORY_FAULT_NAMES.join(", ")})`);
}

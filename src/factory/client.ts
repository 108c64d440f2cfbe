import { createHash } from "node:crypto";
import { TalformError } from "../diagnostics/index.js";
import { resolveImageFactorySettings, type ImageFactorySettings } from "./urls.js";

/**
 * A client of the Image Factory's HTTP API (siderolabs/image-factory `internal/frontend/http`): `GET /schematics/<id>`
 * answers the canonical YAML or 404 "schematic not found", `POST /schematics` answers 201 `{"id","schematic"}`, and
 * the OCI registry on the same host answers `HEAD /v2/<image>/<id>/manifests/<tag>`. The network is passed in
 * (`FactoryHttp`, a subset of `fetch`) so the core stays pure and tests use a simulated factory on loopback.
 */
export type FactoryHttp = (
  url: string,
  init: { method: "GET" | "POST" | "HEAD"; body?: string; headers?: Record<string, string> },
) => Promise<{ readonly status: number; readonly statusText: string; text(): Promise<string> }>;

/** Where talform talks to the factory: `<protocol>://<registryURL>` (the schematic endpoint is appended). */
export interface FactoryEndpoint {
  /** `https://factory.talos.dev` */
  readonly baseUrl: string;
  /** The image registry host installer images name (`factory.talos.dev`). */
  readonly registry: string;
  /** `/schematics` */
  readonly schematicEndpoint: string;
}

export function factoryEndpoint(settings: ImageFactorySettings = {}): FactoryEndpoint {
  const f = resolveImageFactorySettings(settings);
  return {
    baseUrl: `${f.protocol}://${f.registryURL}`,
    registry: f.registryURL,
    schematicEndpoint: f.schematicEndpoint,
  };
}

export interface SchematicRegistration {
  /** `already-registered`: GET found it; `registered`: it was missing and POST created it. */
  readonly outcome: "already-registered" | "registered";
  readonly url: string;
}

/**
 * Makes sure the factory serves `schematicYaml` under `id`: GET first (nothing is written when it exists), POST when
 * it answers 404, and the ID the factory returns must be ours — a mismatch means the factory would build other
 * images than the plan names, so the rollout stops before any node is touched.
 */
export async function ensureSchematicRegistered(
  endpoint: FactoryEndpoint,
  id: string,
  schematicYaml: string,
  http: FactoryHttp,
): Promise<SchematicRegistration> {
  const ours = createHash("sha256").update(schematicYaml).digest("hex");
  if (ours !== id) {
    throw new TalformError(`schematic ${id} does not match its canonical text (sha256 ${ours})`, {
      code: "schematic-id-mismatch",
    });
  }
  const getUrl = `${endpoint.baseUrl}${endpoint.schematicEndpoint}/${id}`;
  const got = await call(http, getUrl, { method: "GET" });
  if (got.status === 200) return { outcome: "already-registered", url: getUrl };
  if (got.status !== 404) throw rejected(getUrl, got, "GET");
  const postUrl = `${endpoint.baseUrl}${endpoint.schematicEndpoint}`;
  const posted = await call(http, postUrl, {
    method: "POST",
    body: schematicYaml,
    headers: { "content-type": "application/yaml" },
  });
  if (posted.status !== 201) throw rejected(postUrl, posted, "POST");
  let returned: unknown;
  try {
    returned = (JSON.parse(posted.body) as { id?: unknown }).id;
  } catch {
    returned = undefined;
  }
  if (typeof returned !== "string" || !/^[0-9a-f]{64}$/.test(returned)) {
    throw new TalformError(`the image factory at ${postUrl} answered 201 without a schematic id`, {
      code: "factory-bad-response",
    });
  }
  if (returned !== id) {
    throw new TalformError(
      `the image factory at ${postUrl} registered the schematic as ${returned}, but the plan installs ${id}`,
      {
        code: "schematic-id-mismatch",
        hint: "the factory serialises this schematic differently (an Enterprise owner, or a factory version change); nothing was touched — report the schematic to talform",
      },
    );
  }
  return { outcome: "registered", url: postUrl };
}

/**
 * Whether the factory's registry has the installer image (`<registry>/<repo>/<id>:<tag>`): `HEAD` on its manifest.
 * Returns undefined when the image is not served by this factory (another registry: talform cannot tell).
 */
export async function installerImageKnown(
  endpoint: FactoryEndpoint,
  image: string,
  http: FactoryHttp,
): Promise<boolean | undefined> {
  if (!image.startsWith(`${endpoint.registry}/`)) return undefined;
  const rest = image.slice(endpoint.registry.length + 1);
  const colon = rest.lastIndexOf(":");
  if (colon < 0) return undefined;
  const url = `${endpoint.baseUrl}/v2/${rest.slice(0, colon)}/manifests/${rest.slice(colon + 1)}`;
  const r = await call(http, url, { method: "HEAD", headers: { accept: "application/vnd.oci.image.index.v1+json" } });
  if (r.status === 200) return true;
  if (r.status === 404) return false;
  throw rejected(url, r, "HEAD");
}

async function call(
  http: FactoryHttp,
  url: string,
  init: Parameters<FactoryHttp>[1],
): Promise<{ status: number; statusText: string; body: string }> {
  try {
    const r = await http(url, init);
    return { status: r.status, statusText: r.statusText, body: init.method === "HEAD" ? "" : await r.text() };
  } catch (e) {
    throw new TalformError(`cannot reach the image factory at ${url}: ${e instanceof Error ? e.message : String(e)}`, {
      code: "factory-unreachable",
      hint: "check imageFactory.registryURL/protocol in talconfig.yaml; air-gapped sites with their own registry pass --offline",
    });
  }
}

function rejected(url: string, r: { status: number; statusText: string; body: string }, method: string): TalformError {
  const text = r.body.trim().slice(0, 200);
  return new TalformError(
    `the image factory refused ${method} ${url}: ${r.status} ${r.statusText}${text ? `: ${text}` : ""}`,
    {
      code: "factory-rejected",
      hint: "a 400 means the factory does not accept this schematic (unknown extension or field); nothing was touched",
    },
  );
}

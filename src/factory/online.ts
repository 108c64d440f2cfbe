import { TalformError } from "../diagnostics/index.js";
import { canonicalSchematicYaml, schematicId, type Schematic } from "./schematic.js";
import { resolveImageFactorySettings, type ImageFactorySettings } from "./urls.js";

/** The subset of `fetch` this module uses, so tests (and callers with proxies) can pass their own. */
export type FetchLike = (
  url: string,
  init: { method: "POST"; body: string; headers: Record<string, string> },
) => Promise<{
  readonly status: number;
  readonly statusText: string;
  text(): Promise<string>;
}>;

export interface OnlineSchematicId {
  /** The ID the factory returned (equal to `offlineId`, or this function throws). */
  readonly id: string;
  readonly offlineId: string;
  /** Where it was POSTed. */
  readonly url: string;
}

/**
 * POSTs the schematic to the factory (`<protocol>://<registryURL><schematicEndpoint>`, as talhelper does) and checks
 * that the ID it returns is the one computed offline. Only call this when the user asked for `--online`: it
 * registers the schematic with the factory, which is also what makes an offline ID downloadable.
 */
export async function fetchSchematicIdOnline(
  schematic: Schematic,
  settings: ImageFactorySettings,
  fetchImpl: FetchLike,
): Promise<OnlineSchematicId> {
  const f = resolveImageFactorySettings(settings);
  const url = `${f.protocol}://${f.registryURL}${f.schematicEndpoint}`;
  const body = canonicalSchematicYaml(schematic);
  const offlineId = schematicId(schematic);
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await fetchImpl(url, { method: "POST", body, headers: { "content-type": "application/yaml" } });
  } catch (e) {
    throw new TalformError(`cannot reach the image factory at ${url}: ${e instanceof Error ? e.message : String(e)}`, {
      code: "factory-unreachable",
      hint: "check imageFactory.registryURL/protocol, or drop --online (the ID is computed offline anyway)",
    });
  }
  const text = await res.text();
  if (res.status !== 201) {
    throw new TalformError(
      `server not replying StatusCreated (${url}): ${res.status} ${res.statusText}${text ? `: ${text.trim().slice(0, 200)}` : ""}`,
      {
        code: "factory-rejected",
        hint: "a 400 usually means the factory does not know a field or an extension name for this schematic",
      },
    );
  }
  let id: unknown;
  try {
    id = (JSON.parse(text) as { id?: unknown }).id;
  } catch {
    id = undefined;
  }
  if (typeof id !== "string" || !/^[0-9a-f]{64}$/.test(id)) {
    throw new TalformError(`the image factory at ${url} answered without a schematic id`, {
      code: "factory-bad-response",
    });
  }
  if (id !== offlineId) {
    throw new TalformError(`the image factory returned schematic ID ${id}, but talform computed ${offlineId}`, {
      code: "schematic-id-mismatch",
      hint: "the factory serialises this schematic differently (e.g. an Enterprise owner, or a factory version change); use the factory's ID and report the schematic to talform",
    });
  }
  return { id, offlineId, url };
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TalformError } from "../diagnostics/index.js";
import { fetchSchematicIdOnline, type FetchLike } from "./online.js";
import { canonicalSchematicYaml, EMPTY_SCHEMATIC_ID, type Schematic } from "./schematic.js";

const exts: Schematic = { customization: { systemExtensions: { officialExtensions: ["siderolabs/iscsi-tools"] } } };

function fakeFactory(reply: (body: string) => { status: number; body: string }): {
  fetch: FetchLike;
  calls: { url: string; body: string }[];
} {
  const calls: { url: string; body: string }[] = [];
  const fetch: FetchLike = (url, init) => {
    calls.push({ url, body: init.body });
    const r = reply(init.body);
    return Promise.resolve({
      status: r.status,
      statusText: r.status === 201 ? "Created" : "Bad Request",
      text: () => Promise.resolve(r.body),
    });
  };
  return { fetch, calls };
}

describe("fetchSchematicIdOnline", () => {
  it("POSTs the canonical YAML to the configured endpoint and accepts a matching ID", async () => {
    const { fetch, calls } = fakeFactory(() => ({ status: 201, body: JSON.stringify({ id: EMPTY_SCHEMATIC_ID }) }));
    const r = await fetchSchematicIdOnline(
      {},
      { registryURL: "factory.lan", protocol: "http", schematicEndpoint: "/api/schematics" },
      fetch,
    );
    assert.deepEqual(r, {
      id: EMPTY_SCHEMATIC_ID,
      offlineId: EMPTY_SCHEMATIC_ID,
      url: "http://factory.lan/api/schematics",
    });
    assert.deepEqual(calls, [{ url: "http://factory.lan/api/schematics", body: "customization: {}\n" }]);
  });
  it("a different ID from the factory is an error naming both", async () => {
    const { fetch } = fakeFactory(() => ({ status: 201, body: JSON.stringify({ id: EMPTY_SCHEMATIC_ID }) }));
    await assert.rejects(
      fetchSchematicIdOnline(exts, {}, fetch),
      (e: unknown) => e instanceof TalformError && /returned schematic ID 3765.*computed [0-9a-f]{64}/.test(e.message),
    );
  });
  it("non-201 answers are errors like talhelper's", async () => {
    const { fetch } = fakeFactory(() => ({ status: 400, body: "unknown field" }));
    await assert.rejects(
      fetchSchematicIdOnline(exts, {}, fetch),
      (e: unknown) =>
        e instanceof TalformError &&
        /server not replying StatusCreated \(https:\/\/factory.talos.dev\/schematics\): 400/.test(e.message),
    );
  });
  it("network failures and malformed answers are user errors", async () => {
    const down: FetchLike = () => Promise.reject(new Error("ECONNREFUSED"));
    await assert.rejects(
      fetchSchematicIdOnline(exts, {}, down),
      (e: unknown) => e instanceof TalformError && /cannot reach/.test(e.message),
    );
    const { fetch } = fakeFactory(() => ({ status: 201, body: "<html>" }));
    await assert.rejects(
      fetchSchematicIdOnline(exts, {}, fetch),
      (e: unknown) => e instanceof TalformError && /without a schematic id/.test(e.message),
    );
  });
  it("the body is exactly the canonical YAML", async () => {
    const { fetch, calls } = fakeFactory((body) => ({
      status: 201,
      body: JSON.stringify({ id: "0".repeat(64) }) + body.slice(0, 0),
    }));
    await assert.rejects(fetchSchematicIdOnline(exts, {}, fetch));
    assert.equal(calls[0]!.body, canonicalSchematicYaml(exts));
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ensureSchematicRegistered,
  factoryEndpoint,
  installerImageKnown,
  canonicalSchematicYaml,
  schematicId,
  type FactoryHttp,
} from "../factory/index.js";
import type { TalformError } from "../diagnostics/index.js";
import { SimImageFactory, parseFactoryFault } from "./factory.js";

const schematic = { customization: { systemExtensions: { officialExtensions: ["siderolabs/util-linux-tools"] } } };
const yaml = canonicalSchematicYaml(schematic);
const id = schematicId(schematic);

const http: FactoryHttp = async (url, init) => {
  const r = await fetch(url, {
    method: init.method,
    ...(init.body ? { body: init.body } : {}),
    ...(init.headers ? { headers: init.headers } : {}),
  });
  return { status: r.status, statusText: r.statusText, text: () => r.text() };
};

async function withFactory(fn: (f: SimImageFactory) => Promise<void>): Promise<void> {
  const f = new SimImageFactory();
  await f.start("127.0.0.1", 0);
  try {
    await fn(f);
  } finally {
    await f.stop();
  }
}

test("the simulated factory answers like image-factory: GET 404, POST 201 {id, schematic}, then GET 200 canonical YAML", async () => {
  await withFactory(async (f) => {
    assert.equal((await fetch(`${f.url}/schematics/${id}`)).status, 404);
    assert.equal(await (await fetch(`${f.url}/schematics/${id}`)).text(), "schematic not found\n");
    const post = await fetch(`${f.url}/schematics`, { method: "POST", body: JSON.stringify(schematic) });
    assert.equal(post.status, 201);
    assert.deepEqual(await post.json(), { id, schematic: yaml });
    const got = await fetch(`${f.url}/schematics/${id}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get("content-type"), "application/yaml");
    assert.equal(await got.text(), yaml);
    const bad = await fetch(`${f.url}/schematics`, { method: "POST", body: "customization: {nope: 1}\n" });
    assert.equal(bad.status, 400);
    assert.deepEqual(f.extensionsOf(id), ["siderolabs/util-linux-tools"]);
  });
});

test("ensureSchematicRegistered: GET first, POST only when missing, and nothing is written when it is known", async () => {
  await withFactory(async (f) => {
    const endpoint = { ...factoryEndpoint({ registryURL: f.registryURL, protocol: "http" }) };
    assert.equal((await ensureSchematicRegistered(endpoint, id, yaml, http)).outcome, "registered");
    assert.equal((await ensureSchematicRegistered(endpoint, id, yaml, http)).outcome, "already-registered");
    assert.deepEqual(
      f.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
      [`GET /schematics/${id} 404`, "POST /schematics 201", `GET /schematics/${id} 200`],
    );
    assert.equal(await installerImageKnown(endpoint, `${f.registryURL}/metal-installer/${id}:v1.13.9`, http), true);
    assert.equal(
      await installerImageKnown(endpoint, `${f.registryURL}/metal-installer/${"0".repeat(64)}:v1.13.9`, http),
      false,
    );
    assert.equal(await installerImageKnown(endpoint, `ghcr.io/siderolabs/installer:v1.13.9`, http), undefined);
  });
});

test("a refusing, a down and a lying factory each stop registration with an error a user can act on", async () => {
  const cases: { name: string; setup: (f: SimImageFactory) => Promise<FactoryHttp>; code: string }[] = [
    {
      name: "refuse",
      setup: async (f) => (await f.fault(parseFactoryFault(`refuse=${id.slice(0, 12)}`)), http),
      code: "factory-rejected",
    },
    { name: "down", setup: async (f) => (await f.fault(parseFactoryFault("down")), http), code: "factory-unreachable" },
    {
      name: "another id",
      setup: async () => async (_url, init) =>
        init.method === "GET"
          ? { status: 404, statusText: "Not Found", text: async () => "" }
          : { status: 201, statusText: "Created", text: async () => JSON.stringify({ id: "f".repeat(64) }) },
      code: "schematic-id-mismatch",
    },
  ];
  for (const c of cases) {
    await withFactory(async (f) => {
      const h = await c.setup(f);
      await assert.rejects(
        ensureSchematicRegistered(factoryEndpoint({ registryURL: f.registryURL, protocol: "http" }), id, yaml, h),
        (e: TalformError) => {
          assert.equal(e.diagnostics[0]?.code, c.code, `${c.name}: ${e.message}`);
          return true;
        },
      );
      assert.equal(f.extensionsOf(id), undefined, c.name);
    });
  }
});

test("factory faults parse; unknown ones are refused", () => {
  assert.deepEqual(parseFactoryFault("down"), { kind: "down" });
  assert.deepEqual(parseFactoryFault("refuse=all"), { kind: "refuse", id: "all" });
  assert.throws(() => parseFactoryFault("refuse=xyz"), /unknown factory fault/);
});

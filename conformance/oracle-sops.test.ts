// The real sops (v3.13.3) decrypts every SOPS file in the reference vectors with its age key. For YAML and JSON the
// decrypted values are compared with the `.expected.json` files, which were computed independently (age-encryption +
// AES-GCM in Node, MAC recomputed and matched); for the other stores (ini, dotenv, binary) with the plaintext they are
// known to hold. sops itself verifies each file's MAC, so exit 0 also proves the MAC. Together this pins both the
// vectors and the oracle that other engineers' sops tests will compare talform's decryptor against.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { referencePath, runOracle, type OracleResult } from "./support/oracles.js";

const vector = (...parts: string[]) => referencePath("sops-vectors", ...parts);

interface Expected {
  /** [additional data (path + ":"), plaintext] for each value, in the order sops walks (and MACs) them. */
  values: [string, string][];
}

const SOPS = "sops-0b07dfbc5";
const HUMPHD = "humphd-sops-age";
const keyOf: Record<string, string[]> = { [SOPS]: [SOPS, "age", "keys.txt"], [HUMPHD]: [HUMPHD, "key.txt"] };

function decrypt(file: string, keyFile: string, extraArgs: string[] = []): Promise<OracleResult> {
  // SOPS_AGE_KEY would take precedence over the key file; clear it so only the vector's key is in play.
  return runOracle("sops", ["decrypt", ...extraArgs, file], {
    env: { SOPS_AGE_KEY_FILE: keyFile, SOPS_AGE_KEY: undefined },
  });
}

/** The (path, value) pairs sops feeds its MAC: arrays share their parent's path, booleans print Python-style. */
function macValues(node: unknown, path = ""): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((item) => macValues(item, path));
  if (node !== null && typeof node === "object") {
    return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) =>
      macValues(value, `${path}${key}:`),
    );
  }
  if (typeof node === "boolean") return [[path, node ? "True" : "False"]];
  return [[path, String(node)]];
}

const structured = [
  { dir: SOPS, file: ["example.yaml"], expected: "example.yaml.expected.json" },
  { dir: SOPS, file: ["example.json"], expected: "example.json.expected.json" },
  { dir: HUMPHD, file: ["tests", "data", "secret.enc.yaml"], expected: "secret.enc.yaml.expected.json" },
  { dir: HUMPHD, file: ["tests", "data", "secret.enc.json"], expected: "secret.enc.json.expected.json" },
];

for (const v of structured) {
  test(`sops decrypts ${v.dir}/${v.file.join("/")} to the values of ${v.expected}`, async () => {
    const res = await decrypt(vector(v.dir, ...v.file), vector(...keyOf[v.dir]!), ["--output-type", "json"]);
    assert.equal(res.code, 0, res.stderr);
    const expected = JSON.parse(await readFile(vector(v.dir, v.expected), "utf8")) as Expected;
    assert.deepEqual(macValues(JSON.parse(res.stdout)), expected.values);
  });
}

test("sops decrypts the humphd-sops-age YAML and JSON files to the committed plaintext", async () => {
  const plaintext = JSON.parse(await readFile(vector(HUMPHD, "tests", "data", "secret.json"), "utf8")) as Record<
    string,
    unknown
  >;
  for (const name of ["secret.enc.json", "secret.enc.yaml"]) {
    const res = await decrypt(vector(HUMPHD, "tests", "data", name), vector(...keyOf[HUMPHD]!), [
      "--output-type",
      "json",
    ]);
    assert.equal(res.code, 0, res.stderr);
    const got = JSON.parse(res.stdout) as Record<string, unknown>;
    // The YAML twin was written without the "0word" key (its MAC agrees); everything else is identical.
    const want = name.endsWith(".yaml")
      ? Object.fromEntries(Object.entries(plaintext).filter(([k]) => k !== "0word"))
      : plaintext;
    assert.deepEqual(got, want, name);
  }
});

test("sops decrypts the dotenv, ini and binary vectors to their known plaintext", async () => {
  const env = await decrypt(vector(HUMPHD, "tests", "data", "secret.enc.env"), vector(...keyOf[HUMPHD]!));
  assert.equal(env.code, 0, env.stderr);
  assert.deepEqual(env.stdout.trimEnd().split("\n"), ["secret=this is a secret", "another_secret=7"]);

  const ini = await decrypt(vector(SOPS, "example.ini"), vector(...keyOf[SOPS]!));
  assert.equal(ini.code, 0, ini.stderr);
  // The ini vector holds the same person as example.json; check it value by value against the JSON twin.
  const json = JSON.parse((await decrypt(vector(SOPS, "example.json"), vector(...keyOf[SOPS]!))).stdout) as {
    firstName: string;
    lastName: string;
    address: Record<string, string>;
  };
  const iniValues = Object.fromEntries(
    ini.stdout
      .split("\n")
      .map((line) => /^(\w+)\s*=\s*(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  assert.equal(iniValues.firstName, json.firstName);
  assert.equal(iniValues.lastName, json.lastName);
  for (const [k, v] of Object.entries(json.address)) assert.equal(iniValues[k], v, k);
  assert.equal(iniValues.notsecret_unencrypted, "hi there!");

  const txt = await decrypt(vector(SOPS, "example.txt"), vector(...keyOf[SOPS]!));
  assert.equal(txt.code, 0, txt.stderr);
  assert.match(txt.stdout, /^Welcome to SOPS!\n/);
});

test("sops refuses the wrong age key and a file whose ciphertexts were swapped", async () => {
  const file = vector(HUMPHD, "tests", "data", "secret.enc.json");
  const wrongKey = await decrypt(file, vector(...keyOf[SOPS]!));
  assert.notEqual(wrongKey.code, 0);
  assert.match(wrongKey.stderr, /Failed to get the data key/);

  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-"));
  try {
    const doc = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
    [doc.secret, doc.string] = [doc.string, doc.secret];
    const tampered = join(dir, "tampered.json");
    await writeFile(tampered, JSON.stringify(doc, null, 2));
    const res = await decrypt(tampered, vector(...keyOf[HUMPHD]!));
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /Could not decrypt|MAC mismatch|cipher: message authentication failed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

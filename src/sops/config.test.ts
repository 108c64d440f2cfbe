import { test } from "node:test";
import assert from "node:assert/strict";
import { creationRuleFor, findSopsConfig, loadAgeIdentities, parseSopsConfig } from "./index.js";
import { shamirCombine, shamirSplit } from "./shamir.js";
import { formatGoFloat, shouldEncrypt } from "./tree.js";
import { randomBytes } from "node:crypto";

const memFs = (files: Record<string, string>) => ({ readFile: async (p: string) => files[p] });

test("findSopsConfig walks up from the start folder and ignores .sops.yml", async () => {
  const fs = memFs({
    "/repo/.sops.yaml": "creation_rules:\n  - age: age1aaa\n",
    "/repo/a/.sops.yml": "ignored: true\n",
  });
  const found = await findSopsConfig("/repo/a/b", fs);
  assert.equal(found?.path, "/repo/.sops.yaml");
  assert.equal(await findSopsConfig("/elsewhere", fs), undefined);
});

const CONFIG = parseSopsConfig(
  [
    "creation_rules:",
    "  - path_regex: talsecret\\.sops\\.yaml$",
    "    age: >-",
    "      age1one,",
    "      age1two",
    "    encrypted_regex: ^(secret|key)$",
    "  - path_regex: ^clusterconfig/",
    "    age: [age1three]",
    "    mac_only_encrypted: true",
    "  - path_regex: groups/",
    "    key_groups:",
    "      - age: [age1g1]",
    "      - age: [age1g2a, age1g2b]",
    "    shamir_threshold: 2",
    "  - path_regex: /abs/only",
    "    age: age1abs",
  ].join("\n"),
  "/repo/.sops.yaml",
);

const RULE_CASES: { file: string; expect: string[] | undefined }[] = [
  { file: "/repo/talsecret.sops.yaml", expect: ["age1one", "age1two"] },
  { file: "/repo/sub/talsecret.sops.yaml", expect: ["age1one", "age1two"] },
  // Relative to the config folder, so `^clusterconfig/` matches below /repo only.
  { file: "/repo/clusterconfig/node.yaml", expect: ["age1three"] },
  { file: "/repo/x/clusterconfig/node.yaml", expect: undefined },
  { file: "/repo/groups/s.yaml", expect: ["age1g1", "age1g2a", "age1g2b"] },
  // A file outside the config's folder is matched by its absolute path.
  { file: "/abs/only/s.yaml", expect: ["age1abs"] },
  { file: "/repo/other.yaml", expect: undefined },
];

for (const c of RULE_CASES) {
  test(`creationRuleFor ${c.file}`, () => {
    assert.deepEqual(creationRuleFor(CONFIG, c.file)?.ageRecipients, c.expect);
  });
}

test("creation rule fields come through", () => {
  assert.equal(creationRuleFor(CONFIG, "/repo/talsecret.sops.yaml")?.encryptedRegex, "^(secret|key)$");
  assert.equal(creationRuleFor(CONFIG, "/repo/clusterconfig/a.yaml")?.macOnlyEncrypted, true);
  const g = creationRuleFor(CONFIG, "/repo/groups/a.yaml");
  assert.deepEqual(g?.keyGroups, [["age1g1"], ["age1g2a", "age1g2b"]]);
  assert.equal(g?.shamirThreshold, 2);
  assert.equal(
    creationRuleFor(parseSopsConfig("creation_rules:\n  - age: age1x\n", "/r/.sops.yaml"), "/anywhere/f.yaml")
      ?.ageRecipients[0],
    "age1x",
    "no path_regex = catch-all",
  );
});

test("a rule with two selectors is rejected", () => {
  assert.throws(
    () =>
      parseSopsConfig(
        "creation_rules:\n  - age: a\n    encrypted_regex: x\n    unencrypted_suffix: y\n",
        "/r/.sops.yaml",
      ),
    /only one of/,
  );
});

test("loadAgeIdentities combines SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the XDG keys.txt", async () => {
  const files: Record<string, string> = {
    "/keys/file.txt": "# created: now\n# public key: age1...\nAGE-SECRET-KEY-1FILE\n",
    "/xdg/sops/age/keys.txt": "AGE-SECRET-KEY-1XDG\n",
    "/home/u/.config/sops/age/keys.txt": "AGE-SECRET-KEY-1HOME\n",
  };
  const read = async (p: string) => files[p];
  assert.deepEqual(
    await loadAgeIdentities(
      {
        SOPS_AGE_KEY: "AGE-SECRET-KEY-1A AGE-SECRET-KEY-1B",
        SOPS_AGE_KEY_FILE: "/keys/file.txt",
        XDG_CONFIG_HOME: "/xdg",
        HOME: "/home/u",
      },
      read,
    ),
    ["AGE-SECRET-KEY-1A", "AGE-SECRET-KEY-1B", "AGE-SECRET-KEY-1FILE", "AGE-SECRET-KEY-1XDG"],
  );
  assert.deepEqual(await loadAgeIdentities({ HOME: "/home/u" }, read), ["AGE-SECRET-KEY-1HOME"]);
  await assert.rejects(loadAgeIdentities({ SOPS_AGE_KEY_FILE: "/missing" }, read), /SOPS_AGE_KEY_FILE/);
});

test("Shamir: any threshold-sized subset rebuilds the secret; fewer shares do not", () => {
  const secret = new Uint8Array(randomBytes(32));
  const shares = shamirSplit(secret, 3, 2, (n) => new Uint8Array(randomBytes(n)));
  for (const pair of [
    [0, 1],
    [1, 2],
    [0, 2],
  ])
    assert.deepEqual(shamirCombine(pair.map((i) => shares[i]!)), secret);
  const damaged = Uint8Array.from(shares[1]!);
  damaged[0] = damaged[0]! ^ 0xff;
  assert.notDeepEqual(shamirCombine([shares[0]!, damaged]), secret);
  assert.throws(() => shamirCombine([shares[0]!, shares[0]!]), /duplicate/);
});

const FLOATS: [number, string][] = [
  [3.14, "3.14"],
  [1234568000, "1234568000"],
  [1e21, "1000000000000000000000"],
  [1.5e-7, "0.00000015"],
  [-2.5e22, "-25000000000000000000000"],
  [Infinity, "+Inf"],
];
for (const [n, s] of FLOATS) test(`formatGoFloat(${n}) = ${s}`, () => assert.equal(formatGoFloat(n), s));

const SELECT: [string[], Parameters<typeof shouldEncrypt>[1], boolean][] = [
  [["a", "b_unencrypted", "c"], { unencryptedSuffix: "_unencrypted" }, false],
  [["stringData", "password"], { encryptedRegex: "^(data|stringData)$" }, true],
  [["metadata", "name"], { encryptedRegex: "^(data|stringData)$" }, false],
  [["Password"], { encryptedRegex: "(?i)^password$" }, true],
  [[], { encryptedSuffix: "_enc" }, false],
];
for (const [path, sel, want] of SELECT)
  test(`shouldEncrypt ${path.join(".")} ${JSON.stringify(sel)}`, () => assert.equal(shouldEncrypt(path, sel), want));

test("a matching rule with PGP keys or comment regexes is an error, other rules still work", () => {
  const cfg = parseSopsConfig(
    "creation_rules:\n  - path_regex: pgp\\.yaml$\n    pgp: ABCDEF\n    age: age1x\n  - age: age1y\n",
    "/r/.sops.yaml",
  );
  assert.throws(() => creationRuleFor(cfg, "/r/pgp.yaml"), /uses pgp, which talform does not support/);
  assert.deepEqual(creationRuleFor(cfg, "/r/other.yaml")?.ageRecipients, ["age1y"]);
});

test("SOPS_AGE_KEY_CMD alone is refused with a workaround", async () => {
  await assert.rejects(
    loadAgeIdentities({ SOPS_AGE_KEY_CMD: "pass age" }, async () => undefined),
    /SOPS_AGE_KEY_CMD/,
  );
});

test("readers that throw ENOENT (like fs.readFile) are accepted", async () => {
  const throwing = async (p: string) => {
    if (p === "/k.txt") return "AGE-SECRET-KEY-1T\n";
    throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
  };
  assert.deepEqual(await loadAgeIdentities({ SOPS_AGE_KEY_FILE: "/k.txt", HOME: "/nohome" }, throwing), [
    "AGE-SECRET-KEY-1T",
  ]);
  assert.equal(await findSopsConfig("/a/b", { readFile: throwing }), undefined);
});

test("a .sops.yaml at the filesystem root matches paths relative to /", () => {
  const cfg = parseSopsConfig("creation_rules:\n  - path_regex: ^srv/\n    age: age1root\n", "/.sops.yaml");
  assert.deepEqual(creationRuleFor(cfg, "/srv/x.yaml")?.ageRecipients, ["age1root"]);
});

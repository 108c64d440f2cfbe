import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { decryptSopsText, encryptSopsText } from "./index.js";

const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);

// Mappings at the root (sops needs one), without a user key called `sops` (that name holds the metadata).
const rootObject = fc.dictionary(
  fc.string().filter((k) => k !== "sops"),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 6 },
);

test("property: any JSON-like YAML document survives encrypt → decrypt", async () => {
  await fc.assert(
    fc.asyncProperty(rootObject, async (obj) => {
      const text = stringify(obj);
      const enc = await encryptSopsText(text, { path: "p.yaml", recipients: [recipient] });
      const dec = await decryptSopsText(enc, { path: "p.yaml", identities: [identity] });
      // `-0` is the integer 0 to sops (Go's YAML resolver), so it comes back as `0`; compare through JSON, where
      // -0 and 0 are the same value.
      assert.deepEqual(asJson(parse(dec)), asJson(parse(text)));
    }),
    { numRuns: 60 },
  );
});

test("property: any JSON object survives encrypt → decrypt in the JSON store", async () => {
  await fc.assert(
    fc.asyncProperty(rootObject, async (obj) => {
      const text = JSON.stringify(obj, null, "\t");
      const enc = await encryptSopsText(text, { path: "p.json", recipients: [recipient] });
      const dec = await decryptSopsText(enc, { path: "p.json", identities: [identity] });
      assert.deepEqual(JSON.parse(dec), JSON.parse(text));
    }),
    { numRuns: 60 },
  );
});

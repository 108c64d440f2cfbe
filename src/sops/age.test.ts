import { test } from "node:test";
import assert from "node:assert/strict";
import { armor, generateIdentity, identityToRecipient } from "age-encryption";
import { unwrapWithIdentities, wrapForRecipient } from "./age.js";

test("unwrap: the recipient gets the payload; tampered, truncated or foreign files give nothing", async () => {
  const id = await generateIdentity();
  const payload = new TextEncoder().encode("a 32-byte sops data key, say....");
  const file = armor.decode(await wrapForRecipient(payload, await identityToRecipient(id)));
  assert.deepEqual(await unwrapWithIdentities(armor.encode(file), [id]), payload);

  const flip = (at: number) => {
    const copy = file.slice();
    copy[at] = copy[at]! ^ 1;
    return armor.encode(copy);
  };
  assert.equal(await unwrapWithIdentities(flip(file.length - 1), [id]), undefined); // payload tag
  assert.equal(await unwrapWithIdentities(flip(file.length - 40), [id]), undefined); // payload body
  assert.equal(await unwrapWithIdentities(armor.encode(file.subarray(0, file.length - 3)), [id]), undefined);
  assert.equal(await unwrapWithIdentities(armor.encode(file), [await generateIdentity()]), undefined);
});

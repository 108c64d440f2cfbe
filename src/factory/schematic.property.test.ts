import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parse } from "yaml";
import { canonicalSchematicYaml, parseSchematic, type Schematic } from "./schematic.js";

// Any string except the two line/paragraph separators the emitter refuses (go-yaml would write them raw).
const text = fc
  .string({ unit: "binary", maxLength: 24 })
  .filter(
    (s) => !/[\u2028\u2029]/.test(s) && !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, "")),
  );

describe("canonical YAML properties", () => {
  it("is valid YAML that reads back to the same strings (quoting is always safe)", () => {
    fc.assert(
      fc.property(
        fc.array(text, { maxLength: 6 }),
        fc.array(
          fc
            .record({ key: fc.integer({ min: 0, max: 255 }), value: text })
            .map((r) => ({ key: r.key, value: r.value })),
          { maxLength: 3 },
        ),
        (args, meta) => {
          const s: Schematic = { customization: { extraKernelArgs: args, meta } };
          const doc = parse(canonicalSchematicYaml(s), { version: "1.2" }) as {
            customization: { extraKernelArgs?: string[]; meta?: { key: number; value: string }[] };
          };
          assert.deepEqual(doc.customization.extraKernelArgs ?? [], args);
          assert.deepEqual(doc.customization.meta ?? [], meta);
        },
      ),
      { numRuns: 300 },
    );
  });
  it("is a fixed point: parsing the canonical text gives the same canonical text", () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 6 }), text, (args, emc) => {
        const canonical = canonicalSchematicYaml({
          customization: { extraKernelArgs: args, embeddedMachineConfiguration: emc },
        });
        assert.equal(canonicalSchematicYaml(parseSchematic(canonical)), canonical);
      }),
      { numRuns: 300 },
    );
  });
});

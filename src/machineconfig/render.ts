import { generateMachineConfig, type GenerateMachineConfigInput } from "./generate.js";
import { applyConfigPatches, type ConfigPatch } from "./patch/index.js";
import { encodeDocuments } from "./yaml/encode.js";
import type { YamlMap } from "./yaml/node.js";

export interface RenderMachineConfigInput extends GenerateMachineConfigInput {
  /** Applied in order after generation (per-node settings, user patches), as `talosctl gen config --config-patch`. */
  readonly patches?: readonly ConfigPatch[];
}

/** Generates, patches and encodes one machine config; the documents are returned too for validation. */
export function renderMachineConfig(input: RenderMachineConfigInput): { documents: YamlMap[]; text: string } {
  const generated = generateMachineConfig(input);
  const documents =
    input.patches && input.patches.length > 0
      ? applyConfigPatches(generated, input.patches, { machinery: input.contract })
      : generated;
  return { documents, text: encodeDocuments(documents) };
}

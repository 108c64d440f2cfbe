import type { DesiredCluster, NodePlan, RegisterSchematicStep } from "./types.js";

/**
 * The `register-schematic` steps a plan runs before any node: one per schematic that an `install` or `upgrade`
 * action takes from the configured Image Factory. The factory serves an installer image only for a schematic that
 * was registered with it (`POST /schematics`); talform computes IDs offline, so it registers them itself.
 * With `offline` (air-gapped sites with their own registry) nothing is registered; the plan lists what it skipped.
 */
export function schematicRegistrations(desired: DesiredCluster, nodes: readonly NodePlan[]): RegisterSchematicStep[] {
  const factory = desired.imageFactory;
  if (!factory) return [];
  const byId = new Map<string, { yaml: string; nodes: string[] }>();
  for (const n of nodes) {
    const d = desired.nodes.find((x) => x.hostname === n.hostname);
    if (!d?.schematicId || !d.schematicYaml) continue;
    const images = n.actions.flatMap((a) =>
      a.type === "upgrade" ? [a.image] : a.type === "install" ? [d.installImage] : [],
    );
    if (!images.some((i) => i.startsWith(`${factory.registry}/`) && i.includes(d.schematicId!))) continue;
    const entry = byId.get(d.schematicId) ?? { yaml: d.schematicYaml, nodes: [] };
    entry.nodes.push(n.hostname);
    byId.set(d.schematicId, entry);
  }
  return [...byId].map(([schematicId, e]) => ({
    type: "register-schematic" as const,
    schematicId,
    factory: factory.baseUrl,
    schematicEndpoint: factory.schematicEndpoint,
    schematic: e.yaml,
    nodes: e.nodes,
    reason: `${e.nodes.join(", ")} install${e.nodes.length === 1 ? "s" : ""} a factory image of this schematic; the factory serves it only once registered`,
  }));
}

export { runDemo, ADDED_EXTENSION, type DemoOptions, type DemoResult } from "./run.js";
export {
  parseNodeCounts,
  demoNodes,
  homelabTalconfig,
  sopsConfig,
  addExtensionToNode,
  DEFAULT_NODE_COUNTS,
  DEFAULT_DEMO_SUBNET,
  type DemoNode,
  type NodeCounts,
} from "./homelab.js";

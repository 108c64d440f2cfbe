export { startFleet, type Fleet, type FleetOptions, type EtcdModelState } from "./cluster.js";
export { validateFleetSpec, parseFleetSpec, type FleetSpec, type SimNodeSpec } from "./spec.js";
export { FAULT_NAMES, type SimNode } from "./node.js";
export { runSimulator, loadSpecFile, sendControl, type RunningSimulator, type NodeStatus } from "./control.js";
export { fleetSpecFromTalconfig, type TalconfigLike } from "./from-talconfig.js";
export {
  SimImageFactory,
  parseFactoryFault,
  FACTORY_FAULT_NAMES,
  type FactoryFault,
  type FactoryRequestLog,
} from "./factory.js";

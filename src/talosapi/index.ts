export {
  TalosClient,
  NodeError,
  ApplyMode,
  RebootMode,
  installerVersion,
  type NodeResult,
  type TalosClientOptions,
  type TalosEvent,
  type ResourceView,
  type UpgradeResult,
} from "./client.js";
export {
  openTransport,
  isLoopbackHost,
  assertDialAllowed,
  LoopbackGuardError,
  parseEndpoint,
  spkiFingerprint,
  TALOS_API_PORT,
  GRPC_MAX_MESSAGE_BYTES,
  type TransportCredentials,
  type TransportOptions,
  type TalosTransport,
} from "./transport.js";
export {
  parseTalosconfig,
  selectContext,
  renderTalosconfig,
  type Talosconfig,
  type TalosconfigContext,
} from "./talosconfig.js";
export { toNodeKeyPem } from "./pem.js";

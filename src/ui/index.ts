/**
 * `talform ui`: a local web dashboard. model.ts holds the pure view-models, pages.ts the server-rendered HTML,
 * server.ts the HTTP edge (token, CSP, CSRF, SSE), backend.ts the cluster behind it, start.ts the wiring.
 */
export * from "./model.js";
export { createUiHandler, listenUi, sseMessage, CONTENT_SECURITY_POLICY, COOKIE, type UiBackend } from "./server.js";
export { createClusterBackend, certificateRoles, readOnlyForRoles } from "./backend.js";
export { startUi, parseListen, type StartUiOptions, type StartedUi } from "./start.js";

#!/usr/bin/env node
// Thin launcher: the CLI is compiled into dist/ and bundled into dist/cli-bundle/ by `npm run build` (run
// automatically by `npm ci` via `prepare`); the bundle loads much faster than the ~400 modules of dist/cli/.
import "../dist/cli-bundle/main.js";

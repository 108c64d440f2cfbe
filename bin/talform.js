#!/usr/bin/env node
// Thin launcher: the CLI is compiled into dist/ by `npm run build` (run automatically by `npm ci` via `prepare`).
import "../dist/cli/main.js";

#!/usr/bin/env node
// Thin launcher: `npm run build` (run by `npm ci` via `prepare`) compiles the CLI into dist/ and bundles it with a
// V8 code cache into dist/cli-bundle/; dist/cli/launch.js loads that (see src/cli/launch.ts).
import { main } from "../dist/cli/launch.js";

await main();

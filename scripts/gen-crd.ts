// Writes deploy/crd/talosclusters.talform.dev.yaml from the talconfig schema (src/controller/crd.ts).
// Run after changing the talconfig schema or the TalosCluster spec: node --import tsx scripts/gen-crd.ts
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CRD_FILE, talosClusterCrdYaml } from "../src/controller/crd.js";

await writeFile(fileURLToPath(new URL(`../${CRD_FILE}`, import.meta.url)), talosClusterCrdYaml());

import { readFileSync } from "node:fs";

/** talform's own version, read from package.json (works from src/ under tsx and from dist/). */
export const TALFORM_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

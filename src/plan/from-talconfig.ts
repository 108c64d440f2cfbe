import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { TalformError } from "../diagnostics/index.js";
import { factoryEndpoint } from "../factory/index.js";
import { renderCluster } from "../genconfig/index.js";
import { createSopsDecryptor } from "../sops/index.js";
import { loadTalconfig } from "../talconfig/index.js";
import { parseTalosconfig, selectContext } from "../talosapi/index.js";
import { desiredFromRendered } from "./desired-adapter.js";
import { digestText, rememberRenderedConfig } from "./config-documents.js";
import type { DesiredCluster } from "./types.js";

export interface LoadedDesired {
  readonly desired: DesiredCluster;
  readonly talconfigPath: string;
  readonly talconfigDigest: string;
  /** The admin credentials of the cluster (from the rendered talosconfig), for observing and applying. */
  readonly credentials: { readonly ca: string; readonly crt: string; readonly key: string };
}

export async function loadDesiredFromTalconfig(o: {
  configPath: string;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  secretsFile?: string;
  outDir?: string;
}): Promise<LoadedDesired> {
  const configPath = isAbsolute(o.configPath) ? o.configPath : resolve(o.cwd, o.configPath);
  let text: string;
  try {
    text = await readFile(configPath, "utf8");
  } catch {
    throw new TalformError(`${relative(o.cwd, configPath) || configPath} does not exist`, {
      code: "file-missing",
      hint: "pass -c <talconfig.yaml>",
    });
  }
  const decryptor = createSopsDecryptor({ ...o.env });
  const loaded = await loadTalconfig({ path: configPath, env: o.env, decryptor });
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (!loaded.config || errors.length > 0)
    throw new TalformError(`${relative(o.cwd, configPath)} has errors; run talform validate`, {
      code: "talconfig",
      diagnostics: errors,
    });
  // genconfig renders every node (and an admin talosconfig) in memory; nothing is written.
  const { generated } = await renderCluster({
    configPath,
    outDir: o.outDir ?? "clusterconfig",
    cwd: o.cwd,
    env: o.env,
    decryptor,
    loaded,
    ...(o.secretsFile ? { secretsFile: o.secretsFile } : {}),
  });
  const configs = new Map(generated.configs.flatMap((c) => (c.hostname ? [[c.hostname, c.text] as const] : [])));
  for (const c of generated.configs) if (c.documents) rememberRenderedConfig(c.text, c.documents);
  const factory = factoryEndpoint(loaded.config.imageFactory ?? {});
  // TALFORM_IMAGE_FACTORY points registration at another factory (a simulated one, a mirror) without renaming images.
  const override = o.env["TALFORM_IMAGE_FACTORY"]?.replace(/\/+$/, "");
  const desired = desiredFromRendered(loaded.config.clusterName, loaded.nodes, configs, {
    ...factory,
    ...(override ? { baseUrl: override } : {}),
  });
  const ctx = selectContext(parseTalosconfig(generated.talosconfig.text, "talosconfig"), "talosconfig");
  if (!ctx.ca || !ctx.crt || !ctx.key)
    throw new TalformError("the rendered talosconfig has no admin credentials", { code: "talosconfig" });
  return {
    desired,
    talconfigPath: configPath,
    talconfigDigest: digestText(text),
    credentials: { ca: ctx.ca, crt: ctx.crt, key: ctx.key },
  };
}

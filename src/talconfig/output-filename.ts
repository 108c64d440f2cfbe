import { TalformError } from "../diagnostics/index.js";
import { executeGoTemplate, GoTemplateError } from "../util/go-template.js";

/** talhelper's default `filenameTmpl` (`pkg/config/defaults.go`). */
export const DEFAULT_FILENAME_TMPL = "{{ .ClusterName }}-{{ .Hostname }}.yaml";

/** The data talhelper's `GetOutputFileName` gives a node's `filenameTmpl`. */
export interface OutputFilenameData {
  readonly clusterName: string;
  readonly hostname: string;
  /** As written in talconfig.yaml (a comma-separated list stays one string). */
  readonly ipAddress: string;
  readonly controlPlane: boolean;
}

// Names that would escape the output folder or overwrite a file genconfig writes itself.
const RESERVED = new Set(["", ".", "..", "talosconfig", ".gitignore"]);

/**
 * The node's machine config file name: talhelper's `filenameTmpl` (a Go template over `ClusterName`, `Hostname`,
 * `IPAddress` and `Role` — `controlplane` | `worker`), default `<cluster>-<hostname>.yaml`. genconfig writes the
 * file under this name and gencommand's `--file=` points at it, so both call this one function.
 */
export function outputFilename(tmpl: string | undefined, data: OutputFilenameData): string {
  const who = data.hostname || "a node";
  let name: string;
  try {
    name = executeGoTemplate(tmpl || DEFAULT_FILENAME_TMPL, {
      ClusterName: data.clusterName,
      Hostname: data.hostname,
      IPAddress: data.ipAddress,
      Role: data.controlPlane ? "controlplane" : "worker",
    });
  } catch (e) {
    if (!(e instanceof GoTemplateError)) throw e;
    throw new TalformError(`filenameTmpl of ${who}: ${e.message}`, {
      code: "filename-template",
      hint: "use the fields {{.ClusterName}}, {{.Hostname}}, {{.IPAddress}} and {{.Role}}",
    });
  }
  if (RESERVED.has(name) || name.includes("/") || name.includes("\\")) {
    throw new TalformError(`filenameTmpl of ${who} renders "${name}", which is not a file name in the output folder`, {
      code: "filename-template",
      hint: "render a plain file name like {{ .ClusterName }}-{{ .Hostname }}.yaml",
    });
  }
  return name;
}

import type { Diagnostic, SourcePosition } from "../diagnostics/index.js";
import type { NodeConfigs, Talconfig, TalconfigNode } from "./schema.js";
import type { MergeOrigin } from "./merge.js";
import type { DocPath } from "./yaml-source.js";

/** Decrypts SOPS files (implemented in `src/sops`, injected by the CLI). */
export interface SopsDecryptor {
  isEncrypted(text: string): boolean;
  decrypt(text: string, path: string): Promise<string>;
}

export interface LoadTalconfigOptions {
  /** talconfig.yaml path (absolute, or relative to the process cwd as the caller resolved it). */
  readonly path: string;
  /**
   * Env files to load in order (later ones override earlier ones and the injected env). When omitted, the talhelper
   * defaults beside the talconfig are used if they exist: talenv.yaml, talenv.sops.yaml, talenv.yml, talenv.sops.yml.
   */
  readonly envFiles?: readonly string[];
  /** Substitute `${VAR}` references (default true; `--no-substitute` sets false). */
  readonly substitute?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly decryptor?: SopsDecryptor;
  /** Reads a file as UTF-8 text; default `fs.promises.readFile`. Rejects when the file is missing. */
  readonly readFile?: (path: string) => Promise<string>;
}

/** One patch as it applies to a node, in application order. */
export interface PatchRef {
  /** Which list it came from. Application order: group, node (both per `overridePatches`), then global. */
  readonly scope: "group" | "node" | "global";
  /** The entry as written (after env substitution): inline YAML/JSON, or `@path`. */
  readonly text: string;
  /** For `@file` entries: the absolute path, resolved against the talconfig's folder. */
  readonly file?: string;
  /** Where the entry is written in talconfig.yaml. */
  readonly source: SourcePosition;
  /** Document path of the entry (e.g. `controlPlane.patches[1]`). */
  readonly path: string;
}

/** A node with its group's defaults merged in and the top-level settings it depends on resolved. */
export interface ResolvedNode extends Omit<NodeConfigs, "patches"> {
  /** Index in `nodes[]`. */
  readonly index: number;
  readonly hostname: string;
  /** `ipAddress` as written (may be comma-separated). */
  readonly ipAddress: string;
  /** `ipAddress` split on commas and trimmed. */
  readonly ipAddresses: readonly string[];
  readonly controlPlane: boolean;
  readonly role: "controlplane" | "worker";
  readonly installDisk?: string;
  readonly installDiskSelector?: TalconfigNode["installDiskSelector"];
  readonly ignoreHostname: boolean;
  /** With a `v` prefix, defaulted to talhelper's default when talconfig sets none. */
  readonly talosVersion: string;
  /** Without a `v` prefix (the form Talos uses). */
  readonly kubernetesVersion: string;
  /** Every patch that applies to this node, in application order (group/node per talhelper, then global). */
  readonly patches: readonly PatchRef[];
  /** Where each merged NodeConfigs key came from. */
  readonly origin: Partial<Record<keyof NodeConfigs, MergeOrigin>>;
  /** Position of the node's entry in `nodes[]`. */
  readonly source: SourcePosition;
}

export interface SourceMap {
  /** Position of a document path in talconfig.yaml (nearest existing ancestor when the path is absent). */
  positionOf(path: DocPath): SourcePosition;
}

export interface LoadedTalconfig {
  /** talconfig.yaml path as given. */
  readonly path: string;
  /** The folder `@file` references and policy files are resolved against. */
  readonly dir: string;
  /** The parsed, substituted top level; undefined when the file is not a valid talconfig (see diagnostics). */
  readonly config: Talconfig | undefined;
  /** The YAML as plain data after substitution, before the schema (for checks that still run on an invalid file). */
  readonly raw?: unknown;
  /** Resolved nodes (empty when `config` is undefined). */
  readonly nodes: readonly ResolvedNode[];
  /** Every finding of loading, in document order. Errors mean `config` must not be used for generation. */
  readonly diagnostics: readonly Diagnostic[];
  readonly sourceMap?: SourceMap;
  /**
   * The variables substitution used (injected env + env files, including decrypted talenv.sops.yaml values and
   * `${VAR:=def}` assignments). Hand it to `substituteFileText` for patch files so they see the same values. It may
   * hold secrets: keep it in memory.
   */
  readonly env: ReadonlyMap<string, string>;
  /** The env files that were read, in order. */
  readonly envFiles: readonly string[];
}

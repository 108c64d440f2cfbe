import { join } from "node:path";
import { TalformError } from "../diagnostics/index.js";
import { ageIdentityLocations, existingRecipients, newAgeKey } from "../sops/keygen.js";
import { checkAnswers, gitignoreText, hasSchemaLine, sopsYamlText, talconfigText, type InitAnswers } from "./files.js";
import { ensureStateDir } from "../util/state-dir.js";

/** The file system as init uses it (injected: tests run it in a temp folder, never the real home). */
export interface InitFs {
  /** Text of a file, undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /** Writes atomically with this mode (0600 for anything secret-bearing). */
  write(path: string, text: string, mode: number): Promise<void>;
}

export interface InitOptions {
  /** The cluster folder (created when missing). */
  readonly dir: string;
  /** New cluster: the answers. Undefined with `fromTalhelper`. */
  readonly answers?: InitAnswers;
  /** Adopt the talconfig.yaml already in `dir` (a talhelper folder) instead of writing one. */
  readonly fromTalhelper?: boolean;
  /** Replace an existing talconfig.yaml. */
  readonly force?: boolean;
  /** Do not create an age key even when there is none (the .sops.yaml then needs a recipient by hand). */
  readonly noKey?: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fs: InitFs;
  /** JSON Schema of talconfig.yaml, written beside it for editors. */
  readonly schemaText: string;
  readonly now?: Date;
}

export interface InitStep {
  readonly path: string;
  readonly action: "wrote" | "updated" | "kept";
  readonly note?: string;
}

export interface InitResult {
  readonly talconfigPath: string;
  readonly steps: readonly InitStep[];
  /** The age public key .sops.yaml encrypts for (undefined when --no-key and none existed). */
  readonly recipient?: string;
  /** Where a new age key was written (undefined when one existed already). */
  readonly newKeyFile?: string;
}

const SCHEMA_FILE = "talconfig.schema.json";

/**
 * `talform init`: a cluster folder that `validate`, `gensecret` and `genconfig` accept as it is — talconfig.yaml,
 * .sops.yaml for the user's age key (created only when no sops identity location has one), a .gitignore covering
 * every secret-bearing file, and the git-ignored state folder.
 */
export async function runInit(o: InitOptions): Promise<InitResult> {
  const steps: InitStep[] = [];
  const talconfigPath = join(o.dir, "talconfig.yaml");
  const existing = await o.fs.read(talconfigPath);
  if (o.fromTalhelper) {
    if (existing === undefined)
      throw new TalformError(`${talconfigPath} does not exist: there is nothing to adopt`, {
        code: "init",
        hint: "run `talform init --from-talhelper DIR` on the folder that holds talconfig.yaml, or init without it",
      });
    if (hasSchemaLine(existing)) steps.push({ path: talconfigPath, action: "kept" });
    else {
      await o.fs.write(talconfigPath, `# yaml-language-server: $schema=./${SCHEMA_FILE}\n${existing}`, 0o644);
      steps.push({ path: talconfigPath, action: "updated", note: "added the $schema line" });
    }
  } else {
    if (!o.answers) throw new Error("runInit: answers are required without fromTalhelper");
    checkAnswers(o.answers);
    if (existing !== undefined && !o.force) {
      throw new TalformError(`${talconfigPath} exists already`, {
        code: "init",
        hint: "adopt it with `talform init --from-talhelper`, or pass --force to replace it",
      });
    }
    await o.fs.write(talconfigPath, talconfigText(o.answers, `./${SCHEMA_FILE}`), 0o644);
    steps.push({ path: talconfigPath, action: existing === undefined ? "wrote" : "updated" });
  }
  await o.fs.write(join(o.dir, SCHEMA_FILE), o.schemaText, 0o644);
  steps.push({ path: join(o.dir, SCHEMA_FILE), action: "wrote", note: "for editors (talform schema)" });

  const key = await ensureAgeKey(o);
  if (key.newKeyFile)
    steps.push({ path: key.newKeyFile, action: "wrote", note: "your age identity (0600); back it up" });

  const sopsPath = join(o.dir, ".sops.yaml");
  const sops = await o.fs.read(sopsPath);
  if (sops !== undefined) steps.push({ path: sopsPath, action: "kept" });
  else if (key.recipient) {
    await o.fs.write(sopsPath, sopsYamlText(key.recipient), 0o644);
    steps.push({ path: sopsPath, action: "wrote", note: `encrypts for ${key.recipient}` });
  }

  const gitignorePath = join(o.dir, ".gitignore");
  const before = await o.fs.read(gitignorePath);
  const after = gitignoreText(before);
  if (after !== (before ?? "")) {
    await o.fs.write(gitignorePath, after, 0o644);
    steps.push({ path: gitignorePath, action: before === undefined ? "wrote" : "updated" });
  }
  const state = await ensureStateDir(o.dir, o.fs);
  if (state) steps.push({ path: state, action: "wrote", note: "the state folder ignores itself" });
  return {
    talconfigPath,
    steps,
    ...(key.recipient ? { recipient: key.recipient } : {}),
    ...(key.newKeyFile ? { newKeyFile: key.newKeyFile } : {}),
  };
}

/** The recipient of the first existing identity, or a new key written to sops's default location. */
async function ensureAgeKey(o: InitOptions): Promise<{ recipient?: string; newKeyFile?: string }> {
  const [recipient] = await existingRecipients(o.env, (p) => o.fs.read(p));
  if (recipient) return { recipient };
  if (o.noKey) return {};
  return writeNewAgeKey(o.env, o.fs, o.now);
}

/** Writes a new age identity where sops reads it by default; refuses to touch an existing file. */
export async function writeNewAgeKey(
  env: Readonly<Record<string, string | undefined>>,
  fs: InitFs,
  now?: Date,
  target?: string,
): Promise<{ recipient: string; newKeyFile: string }> {
  const path = target ?? ageIdentityLocations(env).defaultFile;
  if (!path)
    throw new TalformError("there is no HOME to put an age key in", {
      code: "age-key",
      hint: "set HOME or XDG_CONFIG_HOME, or pass --out FILE",
    });
  if ((await fs.read(path)) !== undefined) {
    throw new TalformError(`${path} exists but holds no age identity; talform does not overwrite it`, {
      code: "age-key",
      hint: "add an AGE-SECRET-KEY line to it, or move it away",
    });
  }
  const key = await newAgeKey(now);
  await fs.write(path, key.text, 0o600);
  return { recipient: key.recipient, newKeyFile: path };
}

export {
  checkAnswers,
  gitignoreText,
  GITIGNORE_LINES,
  parseNodeFlag,
  sopsYamlText,
  talconfigText,
  type InitAnswers,
  type InitNode,
} from "./files.js";
export { runInit, writeNewAgeKey, type InitFs, type InitOptions, type InitResult, type InitStep } from "./run.js";
export { ensureStateDir, statePaths, STATE_DIR, STATE_GITIGNORE, writeStateFile } from "../util/state-dir.js";

export { checkAnswers, gitignoreText, GITIGNORE_LINES, parseNodeFlag, sopsYamlText, STATE_DIR, talconfigText, type InitAnswers, type InitNode } from "./files.js";
export { runInit, writeNewAgeKey, type InitFs, type InitOptions, type InitResult, type InitStep } from "./run.js";
export { ensureStateDir, statePaths, STATE_GITIGNORE } from "./state.js";

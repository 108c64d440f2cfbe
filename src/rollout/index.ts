export {
  executePlan,
  revisionDifference,
  StalePlanError,
  type ExecuteOptions,
  type RolloutResult,
} from "./executor.js";
export {
  fileJournal,
  memoryJournal,
  journalPathFor,
  JOURNAL_FILE,
  type JournalStore,
  type RolloutJournal,
  type JournalRun,
} from "./journal.js";
export type { RolloutEvent, Reporter } from "./events.js";
export { stepsFor, type Step } from "./steps.js";
export { plainReporter, ttyReporter } from "./views.js";
export {
  EVENT_LOG_FILE,
  eventLogPathFor,
  fileEventLog,
  parseEventLog,
  teeReporter,
  type LoggedEvent,
} from "./event-log.js";

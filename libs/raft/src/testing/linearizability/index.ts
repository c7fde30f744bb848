/**
 * A linearizability checker in the manner of porcupine (Wing & Gong search with Lowe's memo cache), and the
 * model of Shoal's replicated key-value store. Record client operations with a {@link HistoryRecorder}, then
 * `checkOperations(kvModel, rec.operations(), { timeoutMs })`.
 */
export { checkOperations, type CheckOptions, type CheckResult } from "./checker.js";
export { HistoryRecorder, validateHistory, type Operation, type PendingCall } from "./history.js";
export type { Model, Partition, StepResult } from "./model.js";
export { formatOperation } from "./explain.js";
export { HistoryError } from "./errors.js";
export {
  kvModel,
  KV_UNKNOWN,
  isKvUnknown,
  type KvInput,
  type KvOutput,
  type KvGetOutput,
  type KvPutOutput,
  type KvCasOutput,
  type KvUnknownOutput,
  type KvState,
} from "./kv-model.js";

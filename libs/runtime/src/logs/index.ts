/** Container logs in Docker's json-file format: the writer (with rotation) and the reader (tail, since, follow). */
export {
  LOG_DEFAULTS,
  LOG_FILE_NAME,
  MAX_LINE_BYTES,
  decodeLogLine,
  encodeLogEntry,
  formatLogTime,
  logFileIndex,
  logFileName,
  parseLogTimeNs,
  parseSince,
  wallClockNs,
} from "./log-format.js";
export { LineSplitter } from "./line-splitter.js";
export { LogWriter, type LogWriterOptions } from "./log-writer.js";
export { readLogs, type LogFollowTuning } from "./read-logs.js";

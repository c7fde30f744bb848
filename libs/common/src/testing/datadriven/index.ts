/**
 * Datadriven scenario tests in the format of cockroachdb/datadriven (as used by etcd's raft): `testdata/*.txt`
 * files of directives, inputs and expected outputs, checked by a handler and rewritten with `SHOAL_REWRITE=1`.
 */
export { datadrivenTest, runFile, rewriteRequested, type Handler, type RunOptions, type RunResult } from "./run.js";
export { TestData, type TestDataInit } from "./test-data.js";
export { parseDirectiveLine, type CmdArg, type ParsedLine } from "./parse-line.js";
export { parseScenario, SEPARATOR, type ParsedDirective } from "./parse-file.js";
export { normalizeOutput, renderOutput, rewriteScenario } from "./rewrite.js";
export { unifiedDiff } from "./diff.js";
export { walkFiles, testdataPath } from "./walk-files.js";
export { DatadrivenError, DatadrivenMismatchError } from "./errors.js";

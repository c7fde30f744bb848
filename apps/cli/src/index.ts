/** The `shoal` command line: `main(argv)` runs it; the pure pieces are exported for reuse and tests. */
export { main, findCommand } from "./main.js";
export type { CliIo, Command } from "./context.js";
export type { AgentOptions, ManagerOptions, RunningDaemon } from "./daemons.js";
export { CLI_ERRORS, CliError, UsageError } from "./errors.js";

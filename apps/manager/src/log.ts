import type { Logger } from "@shoal/common";

/** The manager logs as every Shoal daemon does. */
export { jsonLogger, silentLogger, type Logger } from "@shoal/common";

/** What the manager's parts log with. */
export type LoopLog = Pick<Logger, "info" | "warn">;

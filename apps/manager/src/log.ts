/** The manager logs as every Shoal daemon does. */
export { jsonLogger, silentLogger, type Logger } from "@shoal/common";

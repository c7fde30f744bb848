import { jsonLogger, silentLogger, type Logger } from "@shoal/common";

/** The agent's structured logger. */
export type AgentLog = Logger;

/** Lines `{time, level, component: "agent", msg, ...fields}` to `write` (stderr by default). */
export const agentLog = (write?: (line: string) => void): AgentLog => jsonLogger("agent", write);

/** A logger that drops everything (tests). */
export const quietLog: AgentLog = silentLogger;

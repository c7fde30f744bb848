/** A structured logger: one JSON object per line. */
export interface AgentLog {
  readonly info: (msg: string, fields?: Record<string, unknown>) => void;
  readonly warn: (msg: string, fields?: Record<string, unknown>) => void;
  readonly error: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Lines `{time, level, component: "agent", msg, ...fields}` to `write` (stderr by default). */
export function agentLog(write: (line: string) => void = (l) => process.stderr.write(l)): AgentLog {
  const at =
    (level: "info" | "warn" | "error") =>
    (msg: string, fields?: Record<string, unknown>): void => {
      const entry = { time: new Date().toISOString(), level, component: "agent", msg, ...fields };
      write(`${JSON.stringify(entry, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
    };
  return { info: at("info"), warn: at("warn"), error: at("error") };
}

/** A logger that drops everything (tests). */
export const quietLog: AgentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A structured logger: one JSON object per line, `{time, level, component, msg, ...fields}`. */
export interface Logger {
  readonly info: (msg: string, fields?: Record<string, unknown>) => void;
  readonly warn: (msg: string, fields?: Record<string, unknown>) => void;
  readonly error: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Lines for `component` to `write` (stderr by default); Error values in fields are written as their message. */
export function jsonLogger(component: string, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at =
    (level: "info" | "warn" | "error") =>
    (msg: string, fields?: Record<string, unknown>): void => {
      const entry = { time: new Date().toISOString(), level, component, msg, ...fields };
      write(`${JSON.stringify(entry, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
    };
  return { info: at("info"), warn: at("warn"), error: at("error") };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Structured log lines (one JSON object per line) to a stream, stderr by default. */
export interface Logger {
  readonly info: (msg: string, fields?: Record<string, unknown>) => void;
  readonly warn: (msg: string, fields?: Record<string, unknown>) => void;
  readonly error: (msg: string, fields?: Record<string, unknown>) => void;
}

export function jsonLogger(component: string, out: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const write = (level: string) => (msg: string, fields: Record<string, unknown> = {}) =>
    out(`${JSON.stringify({ time: new Date().toISOString(), level, component, msg, ...fields })}\n`);
  return { info: write("info"), warn: write("warn"), error: write("error") };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

import { main } from "../main.js";
import { captureIo } from "./fake-server.js";

/** What one CLI run printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process against the API at `host()` (read at each run: fake servers listen late). */
export function cliAgainst(host: () => string): (...argv: string[]) => Promise<CliRun> {
  return async (...argv) => {
    const io = captureIo();
    const code = await main([...argv, "--host", host()], io);
    return { code, out: io.out(), err: io.err() };
  };
}

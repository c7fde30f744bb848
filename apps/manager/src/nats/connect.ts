import { connectNatsBus, type BusConnection, type NatsBusTls } from "@shoal/bus";
import { ManagerStartError } from "../errors.js";

/**
 * Connects to this manager's own bus server with its manager certificate (`tls`), retrying while the server
 * starts, for at most `deadlineMs`.
 */
export async function connectWithRetry(
  url: string,
  tls: NatsBusTls,
  name: string,
  deadlineMs: number,
): Promise<BusConnection> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await connectNatsBus({ servers: [url], tls, name, connectTimeoutMs: 1_000 });
    } catch (e) {
      if (Date.now() > until)
        throw new ManagerStartError(
          `manager: the bus server at ${url} did not come up: ${(e as Error).message} (see its log nats/nats.log in the manager's data dir)`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

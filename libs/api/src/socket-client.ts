import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from "undici";
import { ShoalClient, type ClientOptions } from "./client.js";
import { LOCAL_SOCKET_BASE } from "./local-socket.js";
import type { TlsFetch } from "./node-fetch.js";

/**
 * A `fetch` to a manager's local Unix socket (`<runDir>/manager.sock`, docs/design/trust.md §4.3), where the
 * caller is root on that manager's node: how `shoal` on a manager node calls without a certificate. Use it with
 * {@link LOCAL_SOCKET_BASE} as the manager's address.
 */
export function createSocketFetch(path: string): TlsFetch {
  const agent = new Agent({ connect: { socketPath: path } });
  const socketFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (typeof input !== "string" && !(input instanceof URL))
      throw new TypeError("socket fetch: pass a URL and a RequestInit, not a Request of the global fetch");
    // As in node-fetch.ts: undici 7's RequestInit and Response have the shapes ShoalClient uses.
    const res: unknown = await undiciFetch(input, { ...init, dispatcher: agent } as UndiciRequestInit);
    return res as Response;
  };
  return { fetch: socketFetch, close: () => agent.close() };
}

/** A client of one manager through its local socket, and the connections it keeps. */
export interface SocketClient {
  readonly client: ShoalClient;
  /** Closes the kept-alive connections; call it when done, or the process waits. */
  close(): Promise<void>;
}

/**
 * A `ShoalClient` of the manager serving the local socket at `path` (see {@link createSocketFetch}). It stays on
 * that manager: the manager forwards writes to the leader itself.
 */
export function socketClient(
  path: string,
  o: Omit<ClientOptions, "managers" | "fetch" | "scheme" | "pinned"> = {},
): SocketClient {
  const f = createSocketFetch(path);
  return {
    client: new ShoalClient({ ...o, managers: [LOCAL_SOCKET_BASE], pinned: true, fetch: f.fetch }),
    close: () => f.close(),
  };
}

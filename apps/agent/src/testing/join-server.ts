import https from "node:https";
import type { AddressInfo } from "node:net";
import type { JoinInfo } from "@shoal/api";
import { formatJoinToken, joinPem, rootDigest, type LeafRequest } from "@shoal/trust";
import { signLeaf } from "@shoal/trust/pki";
import type { TestCa } from "@shoal/trust/testing";

/** What the join server answers besides the certificate and the role: the rest of a join answer. */
export type JoinAnswerBase = Omit<JoinInfo, "certificate" | "trust" | "time" | "role">;

/** A managers' API over HTTPS (a manager certificate of the test CA) that answers only POST /v1/cluster/join, signing the CSR with the CA. */
export interface JoinServer {
  readonly addr: string;
  /** The worker join token it accepts (the test CA's digest and a fixed secret). */
  readonly token: string;
  /** The manager join token it accepts. */
  readonly managerToken: string;
  /** Requests received (bodies as sent). */
  readonly received: unknown[];
  close(): Promise<void>;
}

/** The join tokens a join server of `ca` accepts: the CA's digest and fixed secrets. */
export function joinServerTokens(ca: Pick<TestCa, "root">): { worker: string; manager: string } {
  const tokenOf = (fill: number) =>
    formatJoinToken({ caDigest: rootDigest(ca.root.cert), secret: new Uint8Array(16).fill(fill) });
  return { worker: tokenOf(7), manager: tokenOf(8) };
}

/**
 * Starts a join server on 127.0.0.1. `tamper` may change what is signed or answered (tests of the joining side's
 * checks): the request the certificate names, and the answer.
 */
export async function startJoinServer(
  ca: TestCa,
  base: JoinAnswerBase | ((role: "worker" | "manager") => JoinAnswerBase),
  tamper: { request?: (r: LeafRequest) => LeafRequest; answer?: (a: JoinInfo) => JoinInfo } = {},
): Promise<JoinServer> {
  const { worker: token, manager: managerToken } = joinServerTokens(ca);
  const received: unknown[] = [];
  const own = await ca.manager("joinserver", ["127.0.0.1"]);
  // The root goes after the chain, as the managers present it, so a joining node's probe finds it.
  const tlsOptions = { cert: joinPem([...own.chain, ...ca.trust]), key: own.key, minVersion: "TLSv1.3" as const };
  const server = https.createServer(tlsOptions, (req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      void (async () => {
        const parsed = JSON.parse(body) as { token?: string; csr?: string };
        received.push(parsed);
        const role = parsed.token === token ? "worker" : parsed.token === managerToken ? "manager" : undefined;
        if (req.method !== "POST" || req.url !== "/v1/cluster/join" || !role) {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              error: { code: "SHOAL_ERR_INVALID_TOKEN", message: "the join token is not valid for this cluster" },
            }),
          );
          return;
        }
        const rest = typeof base === "function" ? base(role) : base;
        const request: LeafRequest = { kind: "agent", clusterId: rest.clusterId, nodeId: rest.nodeId };
        const issued = await signLeaf({
          signer: ca.signer,
          csr: parsed.csr ?? "",
          request: tamper.request?.(request) ?? request,
          now: new Date(),
          validityMs: 60 * 60 * 1000,
        });
        const answer: JoinInfo = {
          ...rest,
          role,
          certificate: joinPem(issued.chain),
          trust: joinPem(ca.trust),
          time: new Date().toISOString(),
        };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(tamper.answer?.(answer) ?? answer));
      })().catch((e: unknown) => {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "SHOAL_ERR_CSR_INVALID", message: String(e) } }));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    addr: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    managerToken,
    received,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

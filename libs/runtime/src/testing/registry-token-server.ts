import { X509Certificate, createPrivateKey, randomBytes, sign, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A running token server for a test registry. */
export interface TokenServer {
  /** The realm URL the registry sends clients to. */
  realm: string;
  /** Token requests answered so far, refused ones included. */
  readonly requests: number;
  /** Closes the listening socket. */
  close(): Promise<void>;
}

/** How the token server signs and whom it lets in. */
export interface TokenServerOptions {
  /** PEM private key (EC P-256) whose self-signed certificate the registry trusts. */
  keyPem: string;
  /** That certificate, PEM; it travels in each token's `x5c` header. */
  certPem: string;
  /** The JWT `iss`; the registry's `auth.token.issuer`. */
  issuer: string;
  /** The JWT `aud`; the registry's `auth.token.service`. */
  service: string;
  /** The username of the only Basic login accepted. */
  username: string;
  /** Its password. */
  password: string;
  /** Token lifetime in seconds. */
  expiresInS: number;
}

/**
 * Starts Docker's token auth server on 127.0.0.1 (a free port) for a test registry: `GET /token?service=&scope=`
 * with the right Basic login gets an ES256 JWT granting every action asked for in each `repository:` scope;
 * anything else gets 401. Its clock is the wall clock, as the registry checks `exp` and `nbf` against it.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key = createPrivateKey(options.keyPem);
  const certDer = new X509Certificate(options.certPem).raw.toString("base64");
  const expected = Buffer.from(`${options.username}:${options.password}`, "utf8");
  let requests = 0;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests++;
    const url = new URL(req.url ?? "/", "http://token.invalid");
    const auth = req.headers.authorization ?? "";
    const given = auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64") : Buffer.alloc(0);
    const loginOk = given.length === expected.length && timingSafeEqual(given, expected);
    if (url.pathname !== "/token" || req.method !== "GET") {
      res.writeHead(404).end();
      return;
    }
    if (!loginOk) {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Basic realm="shoal-test-token"' });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "wrong username or password" }] }));
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: options.issuer,
      sub: options.username,
      aud: options.service,
      exp: now + options.expiresInS,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(16).toString("hex"),
      access: url.searchParams
        .getAll("scope")
        .flatMap((s) => s.split(" "))
        .flatMap(grant),
    };
    const header = { typ: "JWT", alg: "ES256", x5c: [certDer] };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JWS wants the raw r||s signature, not DER.
    const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    const token = `${input}.${signature.toString("base64url")}`;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: options.expiresInS,
        issued_at: new Date(now * 1000).toISOString(),
      }),
    );
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The access claim for one scope `repository:<name>:<actions>`; other resource types get nothing. */
function grant(scope: string): { type: string; name: string; actions: string[] }[] {
  const parts = scope.split(":");
  if (parts.length < 3 || parts[0] !== "repository") return [];
  const actions = (parts.at(-1) ?? "").split(",").filter((a) => a !== "");
  return [{ type: "repository", name: parts.slice(1, -1).join(":"), actions }];
}

function b64url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

import { RegistryError } from "../../errors.js";
import { discard, readLimited, send, unexpectedAnswer } from "./http.js";
import type { FetchFunction } from "./http.js";
import type { RegistryLocation } from "./location.js";
import { TokenCache } from "./token-cache.js";
import { parseWwwAuthenticate } from "./www-authenticate.js";

/** A login for one registry. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

/** The largest token answer read (Docker Hub's are a few KiB). */
const MAX_TOKEN_ANSWER_BYTES = 1024 * 1024;

/**
 * Gets and keeps the Authorization a registry asks for: on a 401 it reads the challenge, fetches a Bearer
 * token from the realm (with the registry's Basic credentials when configured) or falls back to Basic, and
 * caches the result per registry host and scope until the token expires.
 */
export class RegistryAuth {
  private readonly tokens: TokenCache;
  /** Hosts that asked for Basic auth: their credentials go with every request. */
  private readonly basicHosts = new Set<string>();

  /**
   * @param credentials logins by registry host, or by the domain references use (`docker.io`).
   * @param clock epoch-millisecond clock for token expiry.
   * @param fetchImpl the HTTP client for token requests.
   */
  constructor(
    private readonly credentials: Readonly<Record<string, RegistryCredentials>>,
    clock: () => number,
    private readonly fetchImpl: FetchFunction,
  ) {
    this.tokens = new TokenCache(clock);
  }

  /** The Authorization header to send to `location` for `scope` without waiting for a challenge, if one is known. */
  known(location: RegistryLocation, scope: string): string | undefined {
    if (this.basicHosts.has(location.host)) {
      const login = this.login(location);
      return login === undefined ? undefined : basic(login);
    }
    const token = this.tokens.get(tokenKey(location, scope));
    return token === undefined ? undefined : `Bearer ${token}`;
  }

  /** Forgets what was sent for `location` and `scope`: the registry refused it. */
  forget(location: RegistryLocation, scope: string): void {
    this.tokens.delete(tokenKey(location, scope));
  }

  /**
   * Answers a 401 from `location`: a fresh Authorization header for `scope` from the `WWW-Authenticate` header
   * it came with.
   *
   * @throws RegistryError when the challenge is unusable, no login is configured for Basic, or the token
   *   server refuses (temporary when it is unreachable or failing).
   */
  async answer(
    location: RegistryLocation,
    scope: string,
    wwwAuthenticate: string | null,
    signal?: AbortSignal,
  ): Promise<string> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate ?? "");
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params["realm"] !== undefined);
    if (bearer !== undefined) {
      return `Bearer ${await this.fetchToken(location, scope, bearer.params["realm"] ?? "", bearer.params["service"], signal)}`;
    }
    if (challenges.some((c) => c.scheme === "basic")) {
      const login = this.login(location);
      if (login === undefined) {
        throw new RegistryError(
          `runtime: registry ${location.host} requires a login (Basic auth); add credentials for ${location.host} to the registry options`,
          401,
          { temporary: false },
        );
      }
      this.basicHosts.add(location.host);
      return basic(login);
    }
    throw new RegistryError(
      `runtime: registry ${location.host} answered 401 with no Bearer or Basic challenge (WWW-Authenticate: ${JSON.stringify(wwwAuthenticate ?? "")}); it needs an auth scheme this runtime does not speak`,
      401,
      { temporary: false },
    );
  }

  private async fetchToken(
    location: RegistryLocation,
    scope: string,
    realm: string,
    service: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    let url: URL;
    try {
      url = new URL(realm);
      if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError(`protocol ${url.protocol}`);
    } catch (err) {
      throw new RegistryError(
        `runtime: registry ${location.host} named a token realm ${JSON.stringify(realm)} that is not an http(s) URL`,
        401,
        {
          cause: err,
          temporary: false,
        },
      );
    }
    if (service !== undefined) url.searchParams.set("service", service);
    url.searchParams.set("scope", scope);
    const login = this.login(location);
    const headers: Record<string, string> = { accept: "application/json" };
    if (login !== undefined) headers["authorization"] = basic(login);
    const init: RequestInit = { headers };
    if (signal !== undefined) init.signal = signal;
    const what = `getting a token for ${location.host}/${location.repository} from ${url.origin}${url.pathname}`;
    const res = await send(this.fetchImpl, url.href, init, what);
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw new RegistryError(
        login === undefined
          ? `runtime: registry ${location.host} refused anonymous access to ${location.repository} (token server answered ${res.status}); add credentials for ${location.host} to the registry options`
          : `runtime: registry ${location.host} refused the credentials of user ${JSON.stringify(login.username)} (token server answered ${res.status}); fix the username or password given for ${location.host}`,
        res.status,
        { temporary: false },
      );
    }
    if (!res.ok) throw await unexpectedAnswer(res, what, "check the registry's token server");
    const body = (await readLimited(res, MAX_TOKEN_ANSWER_BYTES, what)).toString("utf8");
    const answer = parseTokenAnswer(body);
    if (answer === undefined) {
      throw new RegistryError(
        `runtime: ${what}: the answer holds no token or access_token; check the registry's token server`,
        res.status,
        {
          temporary: false,
        },
      );
    }
    this.tokens.set(tokenKey(location, scope), answer.token, answer.expiresIn);
    return answer.token;
  }

  /** The login for a registry, by its host or by the name references give it (`docker.io`). */
  private login(location: RegistryLocation): RegistryCredentials | undefined {
    return this.credentials[location.host] ?? this.credentials[location.domain];
  }
}

/** The token and its lifetime from a token server's JSON answer (`token`, or OAuth2's `access_token`). */
export function parseTokenAnswer(body: string): { token: string; expiresIn: number | undefined } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { token, access_token: accessToken, expires_in: expiresIn } = parsed as Record<string, unknown>;
  const value = typeof token === "string" && token !== "" ? token : typeof accessToken === "string" ? accessToken : "";
  if (value === "") return undefined;
  return { token: value, expiresIn: typeof expiresIn === "number" ? expiresIn : undefined };
}

function tokenKey(location: RegistryLocation, scope: string): string {
  return `${location.host} ${scope}`;
}

function basic(login: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${login.username}:${login.password}`, "utf8").toString("base64")}`;
}

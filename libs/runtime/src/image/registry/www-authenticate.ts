/** One challenge of a `WWW-Authenticate` header: `Bearer realm="...",service="...",scope="..."`. */
export interface AuthChallenge {
  /** The auth scheme, lowercased (`bearer`, `basic`). */
  scheme: string;
  /** Its parameters; names lowercased, quoted values unescaped. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[A-Za-z0-9!#$%&'*+.^_`|~-]/;

/**
 * Parses a `WWW-Authenticate` header (RFC 9110 section 11.6.1) into its challenges, in order. Several
 * challenges may share one header (`Basic realm="a", Bearer realm="b"`), as they do when a client joins repeated
 * headers with commas. Malformed parts are skipped, never thrown on: the caller decides what a missing
 * parameter means.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let pos = 0;

  const skip = (chars: RegExp): void => {
    while (pos < header.length && chars.test(header.charAt(pos))) pos++;
  };
  const token = (): string => {
    const start = pos;
    while (pos < header.length && TOKEN_CHAR.test(header.charAt(pos))) pos++;
    return header.slice(start, pos);
  };
  // NB: RFC 9110 allows only token characters unquoted; up to a comma or space is kinder to sloppy servers
  // that leave a realm URL unquoted.
  const bare = (): string => {
    const start = pos;
    while (pos < header.length && !/[\s,]/.test(header.charAt(pos))) pos++;
    return header.slice(start, pos);
  };
  const quoted = (): string => {
    let value = "";
    pos++; // opening quote
    while (pos < header.length && header.charAt(pos) !== '"') {
      if (header.charAt(pos) === "\\" && pos + 1 < header.length) pos++;
      value += header.charAt(pos);
      pos++;
    }
    pos++; // closing quote
    return value;
  };

  while (pos < header.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (scheme === "") {
      // Not a scheme: skip the stray quoted string or character.
      if (header.charAt(pos) === '"') quoted();
      else pos++;
      continue;
    }
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    while (pos < header.length) {
      const before = pos;
      skip(/[\s,]/);
      const name = token();
      skip(/[ \t]/);
      if (name === "" || header.charAt(pos) !== "=") {
        // A token without "=" starts the next challenge; anything else ends this one (the outer loop skips it).
        if (name !== "") pos = before;
        break;
      }
      pos++; // "="
      skip(/[ \t]/);
      if (header.charAt(pos) === "=") {
        skip(/=/); // token68 ending in "=="
        continue;
      }
      const value = header.charAt(pos) === '"' ? quoted() : bare();
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return challenges;
}

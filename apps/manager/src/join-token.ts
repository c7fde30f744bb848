import type { Cluster, ClusterSecrets, JoinTokens } from "@shoal/api";
import {
  DIGEST_BYTES,
  fromBase36,
  formatJoinToken,
  InvalidTokenError,
  newJoinSecret,
  parseJoinToken,
  SECRET_BYTES,
  SECRET_CHARS,
  secretsEqual,
  toBase36,
} from "@shoal/trust";

/** A new join secret as the store keeps it: 128 random bits in base 36. */
export function newStoredJoinSecret(): string {
  return toBase36(newJoinSecret(), SECRET_CHARS);
}

function bytesOf(text: string, bytes: number, what: string): Uint8Array {
  const b = fromBase36(text, bytes);
  if (!b) throw new Error(`manager: the stored ${what} is not ${bytes} bytes in base 36: the store may be damaged`);
  return b;
}

/** The root digest join tokens pin: the first of the cluster's roots. */
function pinnedDigest(cluster: Pick<Cluster, "ca">): Uint8Array {
  return bytesOf(cluster.ca.rootDigests[0] ?? "", DIGEST_BYTES, "root digest");
}

/** Both roles' join tokens, `SHLTKN-1-<root digest>-<secret>`. */
export function joinTokensOf(cluster: Pick<Cluster, "ca">, secrets: Pick<ClusterSecrets, "join">): JoinTokens {
  const caDigest = pinnedDigest(cluster);
  const token = (s: string) => formatJoinToken({ caDigest, secret: bytesOf(s, SECRET_BYTES, "join secret") });
  return { worker: token(secrets.join.worker), manager: token(secrets.join.manager) };
}

/** What a join token is worth here: the role it admits, or why it admits none (said to the caller as is). */
export type TokenCheck =
  | { role: "manager" | "worker" }
  | {
      role: undefined;
      problem: string;
      /** The token's form is wrong (said as is to the caller). */ malformed: boolean;
    };

/**
 * The role a join token admits a node to on this cluster. A malformed token is told what is wrong with its
 * form (never echoing it); a well-formed one that is not this cluster's gets one answer whatever the reason
 * (another CA, a rotated secret, a guess). Constant-time: the digest and both roles' secrets are compared every
 * time, so the timing tells neither how much of a token was right nor which role it was tried against.
 */
export function checkJoinToken(
  cluster: Pick<Cluster, "ca">,
  secrets: Pick<ClusterSecrets, "join">,
  token: string,
  equal: (a: Uint8Array, b: Uint8Array) => boolean = secretsEqual,
): TokenCheck {
  let parsed;
  try {
    parsed = parseJoinToken(token);
  } catch (e) {
    if (e instanceof InvalidTokenError)
      return { role: undefined, problem: `the join token is malformed: ${e.detail}`, malformed: true };
    throw e;
  }
  const digestOk = equal(parsed.caDigest, pinnedDigest(cluster));
  const isManager = equal(parsed.secret, bytesOf(secrets.join.manager, SECRET_BYTES, "join secret"));
  const isWorker = equal(parsed.secret, bytesOf(secrets.join.worker, SECRET_BYTES, "join secret"));
  if (digestOk && isManager) return { role: "manager" };
  if (digestOk && isWorker) return { role: "worker" };
  return { role: undefined, problem: "the join token is not valid for this cluster", malformed: false };
}

import type { X509Certificate } from "node:crypto";
import { formatIdentity, type Identity } from "@shoal/trust";

/**
 * Who is calling the API (docs/design/trust.md §4.6, §4.7): nobody in particular (no client certificate, plain
 * HTTP, an injected request); the Shoal identity of a client certificate that chains to the cluster's trust
 * bundle (`forwardedBy`: the manager that forwarded the request for it, which checked the certificate itself);
 * root on a manager node, through that manager's local socket; or a dashboard session of a user, from its
 * session cookie (`api/dashboard-sessions.ts`). A caller whose cookie names no live session is anonymous, with
 * `endedSession` saying why, so the routes that want a credential tell it to sign in again. Resolved per request
 * by `api/caller.ts`; whether it may call a route is decided by the route's access (`auth/policy.ts`).
 */
export type Caller =
  | { readonly kind: "anonymous"; readonly endedSession?: string }
  | {
      readonly kind: "certificate";
      readonly identity: Identity;
      readonly certificate: X509Certificate;
      readonly forwardedBy?: string;
    }
  | { readonly kind: "local"; readonly nodeId: string }
  | { readonly kind: "session"; readonly identity: Identity & { readonly kind: "user" } };

/** The caller without a credential. */
export const ANONYMOUS: Caller = Object.freeze({ kind: "anonymous" });

/** A caller in words, for logs and messages: its identity URI, root on a node, or "anonymous". */
export function describeCaller(caller: Caller): string {
  if (caller.kind === "anonymous") return "anonymous";
  if (caller.kind === "local") return `root on manager node ${caller.nodeId}`;
  return formatIdentity(caller.identity);
}

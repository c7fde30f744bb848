import type { ClusterSecrets } from "@shoal/api";
import { DEFAULT_NODE_CERT_EXPIRY_MS, type LeafRequest } from "@shoal/trust";
import type { IssuedCertificate } from "@shoal/trust/pki";

/**
 * Issues a certificate for a CSR's key, naming what `request` says (the CSR's own names are ignored), valid for
 * `validityMs` when given (user certificates), else for the signer's default.
 */
export type IssueCertificate = (request: LeafRequest, csr: string, validityMs?: number) => Promise<IssuedCertificate>;

/**
 * The cluster CA's signer for the leader: signs with the signer held in the store's secrets at the time of
 * the call, valid for the node certificate expiry unless the call says otherwise. The certificate maker is loaded
 * on the first issue.
 */
export function caSigner(
  secrets: () => Pick<ClusterSecrets, "ca"> | undefined,
  o: { validityMs?: number; clock?: () => number } = {},
): IssueCertificate {
  return async (request, csr, validityMs) => {
    const s = secrets();
    if (!s) throw new Error("manager: the cluster's CA is not in the store yet; retry in a second");
    const { signLeaf } = await import("@shoal/trust/pki");
    return signLeaf({
      signer: s.ca.signer,
      csr,
      request,
      now: new Date((o.clock ?? Date.now)()),
      validityMs: validityMs ?? o.validityMs ?? DEFAULT_NODE_CERT_EXPIRY_MS,
    });
  };
}

import type { ManagerJoinReply, ManagerJoinRequest, ShoalClient } from "@shoal/api";
import { trustedClient } from "@shoal/api/node";
import { splitPemCertificates } from "@shoal/trust";
import { ManagerStartError } from "../errors.js";
import { agentTls, writeManagerCertificate, type ManagerTls } from "../manager-certificates.js";

/** Calls the managers over HTTPS presenting `tls`; the connections are closed after `use`. */
async function withClient<T>(
  managers: readonly string[],
  tls: ManagerTls,
  use: (client: ShoalClient) => Promise<T>,
): Promise<T> {
  const c = trustedClient({
    managers,
    timeoutMs: 60_000,
    trust: tls.trust.join(""),
    cert: tls.chain.join(""),
    key: tls.key,
  });
  try {
    return await use(c.client);
  } finally {
    await c.close();
  }
}

/**
 * A new manager of a node that joined (its agent certificate is in the data dir, and the cluster made the node
 * a manager): gets its manager certificate with the agent certificate, then asks the managers to add it to Raft
 * with the manager certificate (the request reaches the leader). Its node id and the cluster come from the
 * agent certificate; no join token is needed.
 */
export async function joinAsManager(
  dataDir: string,
  managers: string[],
  where: ManagerJoinRequest,
  advertiseAddr: string,
): Promise<{ reply: ManagerJoinReply; nodeId: string; tls: ManagerTls }> {
  const agent = await agentTls(dataDir);
  try {
    const { generateKeyAndCsr } = await import("@shoal/trust/pki");
    const { key, csr } = await generateKeyAndCsr();
    const issued = await withClient(managers, agent.tls, (c) =>
      c.call("nodeCertificate", { body: { kind: "manager", csr, addresses: [advertiseAddr] } }),
    );
    const chain = splitPemCertificates(issued.certificate);
    const tls: ManagerTls = { chain, key, trust: splitPemCertificates(issued.trust) };
    await writeManagerCertificate(dataDir, chain, key);
    const reply = await withClient(managers, tls, (c) => c.call("clusterManagerJoin", { body: where }));
    return { reply, nodeId: agent.nodeId, tls };
  } catch (e) {
    throw new ManagerStartError(
      `manager: cannot join the cluster through ${managers.join(", ")}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

import { runCommand, type RunCommand } from "@shoal/overlay";

/** The nft table of the mesh endpoint's netns. */
const TABLE = "shoal_mesh";

/**
 * Makes a netns the node's routing-mesh endpoint: it forwards between the node network (eth0) and the ingress
 * network, masquerading what it sends onto ingress so the tasks there answer through it; and the node routes
 * the ingress subnet through it. Idempotent.
 */
export async function configureMeshSandbox(
  netns: string,
  ingressSubnet: string,
  via: string,
  exec: RunCommand = runCommand,
): Promise<void> {
  const script = [
    `table ip ${TABLE} {}`,
    `delete table ip ${TABLE}`,
    `table ip ${TABLE} {`,
    "\tchain postrouting {",
    "\t\ttype nat hook postrouting priority srcnat; policy accept;",
    '\t\toifname != "eth0" masquerade',
    "\t}",
    "}",
  ].join("\n");
  await exec("ip", ["netns", "exec", netns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
  await exec("ip", ["netns", "exec", netns, "nft", "-f", "-"], { input: script + "\n" });
  await exec("ip", ["route", "replace", ingressSubnet, "via", via]);
}

/** Removes the node's route to the ingress subnet (the mesh endpoint is gone). */
export async function removeMeshRoute(ingressSubnet: string, exec: RunCommand = runCommand): Promise<void> {
  await exec("ip", ["route", "del", ingressSubnet]).catch(() => undefined);
}

import type { Task } from "@shoal/api";
import { HarnessError } from "./errors.js";
import type { ExecOutput } from "./node.js";
import type { ClusterTarget, TargetNode } from "./target.js";

/**
 * Looking at a cluster from inside its tasks, whatever the target: commands in a task's container (its
 * resolv.conf, its network namespace), HTTP and DNS from there, and HTTP from this host to a node's port.
 */

/** A web server answering `/` with its container's hostname (the task id's first 12 characters). */
export const WEB = ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"];

/** Where the agent keeps runc's state (its default runtime dir, on every kind of node). */
const RUNC_ROOT = "/run/shoal/runtime/runc";

/** The node of the target that runs a task. */
export async function nodeOfTask(t: ClusterTarget, task: Task): Promise<TargetNode> {
  const n = await t.client().call("nodeInspect", { params: { ref: task.nodeId ?? "" } });
  const node = t.nodes.find((x) => x.hostname === n.description.hostname);
  if (!node)
    throw new HarnessError(
      "SHOAL_ERR_HARNESS_NODE",
      `harness: task ${task.id} runs on ${n.description.hostname}, which is none of the ${t.kind} target's nodes (${t.nodes.map((x) => x.hostname).join(", ")})`,
    );
  return node;
}

/** Runs busybox inside a task's container. */
export async function inTask(t: ClusterTarget, task: Task, args: readonly string[]): Promise<ExecOutput> {
  return (await nodeOfTask(t, task)).exec(["runc", "--root", RUNC_ROOT, "exec", task.id, "busybox", ...args]);
}

/** Runs busybox inside a task's container; rejects with its output when it fails. */
export async function inTaskOk(t: ClusterTarget, task: Task, args: readonly string[]): Promise<string> {
  const r = await inTask(t, task, args);
  if (r.code !== 0)
    throw new HarnessError(
      "SHOAL_ERR_HARNESS_NODE",
      `harness: \`busybox ${args.join(" ")}\` in task ${task.id} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  return r.stdout;
}

/** `GET http://HOST/` from inside a task, trimmed. */
export async function httpFromTask(t: ClusterTarget, task: Task, host: string): Promise<string> {
  return (await inTaskOk(t, task, ["timeout", "10", "busybox", "wget", "-q", "-O", "-", `http://${host}/`])).trim();
}

/** The A records busybox nslookup prints for a name, asked from inside a task (its resolv.conf's server), sorted. */
export async function lookupFromTask(t: ClusterTarget, task: Task, name: string): Promise<string[]> {
  const out = await inTask(t, task, ["nslookup", name]);
  const answers = out.stdout
    .split(/\n\s*\n/)
    .slice(1)
    .join("\n");
  return [...answers.matchAll(/Address(?: \d+)?:\s+(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1] ?? "").sort();
}

/** A task's address on a network, without its prefix length; "" when it has none there. */
export function overlayAddress(task: Task, networkId: string): string {
  return (task.networks.find((n) => n.networkId === networkId)?.addresses[0] ?? "").split("/")[0] ?? "";
}

/** The id of a network, by name or id. */
export async function networkId(t: ClusterTarget, ref = "default"): Promise<string> {
  return (await t.client().call("networkInspect", { params: { ref } })).id;
}

/** `GET http://ADDRESS:PORT/` from this host, trimmed. */
export async function httpFromHost(address: string, port: number): Promise<string> {
  const res = await fetch(`http://${address}:${port}/`, { signal: AbortSignal.timeout(5_000) });
  return (await res.text()).trim();
}

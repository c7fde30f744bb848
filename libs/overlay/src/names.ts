import { createHash } from "node:crypto";
import { InvalidSpecError } from "./errors.js";

/** Linux's limit on interface names (IFNAMSIZ 16 with the NUL). */
export const MAX_IFNAME = 15;

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NETNS_PREFIX = /^[A-Za-z0-9_.-]{0,32}$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NFT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** Checks a task id: 1 to 64 letters, digits, `_`, `.`, `-`, starting with a letter or digit (it names a netns). */
export function checkTaskId(taskId: string): void {
  if (!TASK_ID.test(taskId)) {
    throw new InvalidSpecError(
      "taskId",
      `${JSON.stringify(taskId)} must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }
}

/** Checks the options that become names in the kernel: bridge, nft table and netns prefix. */
export function checkNames(o: { readonly bridge: string; readonly table: string; readonly netnsPrefix: string }): void {
  if (!IFNAME.test(o.bridge) || o.bridge.startsWith(VETH_PREFIX)) {
    throw new InvalidSpecError(
      "bridge",
      `${JSON.stringify(o.bridge)} must be 1 to ${MAX_IFNAME} letters, digits, "_", "." or "-", not starting with "${VETH_PREFIX}"`,
    );
  }
  if (!NFT_NAME.test(o.table)) {
    throw new InvalidSpecError(
      "table",
      `${JSON.stringify(o.table)} must be a letter then up to 31 letters, digits or "_"`,
    );
  }
  if (!NETNS_PREFIX.test(o.netnsPrefix)) {
    throw new InvalidSpecError(
      "netnsPrefix",
      `${JSON.stringify(o.netnsPrefix)} must be up to 32 letters, digits, "_", "." or "-"`,
    );
  }
}

/** The name of a task's network namespace, as `ip netns` knows it (a bind mount in /run/netns). */
export function netnsName(netnsPrefix: string, taskId: string): string {
  return `${netnsPrefix}${taskId}`;
}

/** What every host-side veth name starts with. */
export const VETH_PREFIX = "vs";
const HASH_CHARS = MAX_IFNAME - VETH_PREFIX.length;

/**
 * The host-side veth name of a task: "vs" and 13 hex digits of a hash of its netns name, 15 characters, so
 * the same task always gets the same name and tasks of networks with other netns prefixes get other names.
 * Should that name be in `taken` (a hash collision, or a stray link), the hash of the name with a counter
 * appended is tried next, so the result is never a name in `taken`.
 */
export function vethName(netns: string, taken: ReadonlySet<string>): string {
  for (let attempt = 0; ; attempt++) {
    const input = attempt === 0 ? netns : `${netns}#${attempt}`;
    const name = VETH_PREFIX + createHash("sha256").update(input).digest("hex").slice(0, HASH_CHARS);
    if (!taken.has(name)) return name;
  }
}

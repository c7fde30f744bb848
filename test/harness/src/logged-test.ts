import type { HarnessNode } from "./node.js";

/**
 * Wraps node:test's `test` so that a failing test prints every node's daemon logs (what a cluster test needs
 * to be understood from a CI log). `nodes` is read when a test fails: the cluster starts after the tests are
 * declared.
 */
export function loggedTest(
  test: (name: string, fn: () => Promise<void>) => unknown,
  nodes: () => readonly HarnessNode[],
): (name: string, fn: () => Promise<void>) => void {
  return (name, fn) => {
    void test(name, async () => {
      try {
        await fn();
      } catch (e) {
        for (const n of nodes()) console.log(await n.logTail(40).catch(() => ""));
        throw e;
      }
    });
  };
}

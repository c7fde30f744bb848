import { describeExecutorContract } from "./testing/executor-contract.js";
import { openTestRuntime, rootSkip } from "./testing/runtime-fixture.js";

// The same behaviour the in-memory twin shows, from real containers under runc (as root; CI always runs it).
if (!rootSkip) {
  describeExecutorContract("runc runtime", async () => {
    const f = await openTestRuntime();
    return { executor: f.runtime, image: "busybox", cleanup: f.cleanup };
  });
}

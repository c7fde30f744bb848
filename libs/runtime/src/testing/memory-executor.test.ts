import { describeExecutorContract } from "./executor-contract.js";
import { realClock } from "./memory-clock.js";
import { MemoryExecutor } from "./memory-executor.js";
import { MemoryHost } from "./memory-host.js";
import { memoryImage } from "./memory-image-ref.js";

describeExecutorContract("MemoryExecutor", () => {
  const host = new MemoryHost({ clock: realClock() });
  host.images.addImage(memoryImage("busybox:latest", { cmd: ["sh"] }));
  const executor = new MemoryExecutor(host);
  return Promise.resolve({
    executor,
    image: "busybox",
    async cleanup() {
      host.killAll();
      await executor.close();
    },
  });
});

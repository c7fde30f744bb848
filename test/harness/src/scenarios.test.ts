import { randomBytes } from "node:crypto";
import { after, before, describe, test, type TestContext } from "node:test";
import { ensureBusyboxTarball } from "@shoal/runtime/testing";
import {
  createConverges,
  drainMovesTasks,
  managerRebootServes,
  overlayAndDnsAcrossNodes,
  powerOffMovesTasks,
  publishedPortOnEveryNode,
  removeService,
  scaleConverges,
} from "./scenarios.js";
import { connectTarget, type ClusterTarget } from "./target.js";

// The cluster scenarios against SHOAL_E2E_TARGET: harness containers by default (CI), or an existing cluster
// (`SHOAL_E2E_TARGET=vagrant npm run test:e2e`, or ssh with SHOAL_E2E_NODES); see docs/operations.md.
describe(
  `cluster scenarios on the ${process.env["SHOAL_E2E_TARGET"] ?? "containers"} target`,
  // VMs under qemu's emulation take minutes to power on or reboot.
  { timeout: 2_400_000 },
  () => {
    let t: ClusterTarget | undefined;
    let image = "busybox:latest";
    // Names of their own, so that an existing cluster's services are left alone.
    const id = randomBytes(3).toString("hex");
    const service = `e2e-${id}`;
    const published = `e2e-pub-${id}`;
    const web = `e2e-web-${id}`;
    const target = (): ClusterTarget => {
      if (!t) throw new Error("the target did not start");
      return t;
    };
    // A failed scenario prints the nodes' daemon logs, where the target has them.
    const scenario = (name: string, fn: (ctx: TestContext) => Promise<void> | void): void => {
      void test(name, async (ctx) => {
        try {
          await fn(ctx);
        } catch (e) {
          console.log((await t?.diagnostics?.().catch((d: unknown) => String(d))) ?? "");
          throw e;
        }
      });
    };

    before(async () => {
      const tar = await ensureBusyboxTarball();
      t = await connectTarget();
      image = await t.loadImage(tar);
    });
    after(async () => {
      for (const s of [service, published, web]) if (t) await removeService(t, s);
      await t?.destroy();
    });

    scenario("a service of 3 replicas converges, spread over the nodes", () =>
      createConverges(target(), service, image, 3),
    );
    scenario("scaling to 5 then to 2 converges each time", () => scaleConverges(target(), service, 5, 2));
    scenario("draining a node moves its tasks to the others", async () => {
      await scaleConverges(target(), service, 3, 3);
      await drainMovesTasks(target(), service, 3);
    });
    scenario("a published port answers on every node", () => publishedPortOnEveryNode(target(), published, image));
    scenario("tasks on different nodes reach each other over the overlay, by address and by DNS name", () =>
      overlayAndDnsAcrossNodes(target(), web, image),
    );
    scenario("a worker powered off: its tasks run on the other nodes; powered on, it is ready again", (ctx) => {
      // Hosts reached by ssh have no power switch here; containers and VMs do.
      if (!target().nodes.some((n) => n.powerOff))
        return ctx.skip(`the ${target().kind} target cannot power nodes off`);
      return powerOffMovesTasks(target(), service, 3);
    });
    scenario("the manager rebooted: once back, the cluster serves through it", () =>
      managerRebootServes(target(), service, 3, published),
    );
  },
);

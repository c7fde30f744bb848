import { randomBytes } from "node:crypto";
import type { ParsedArgs } from "../args/parser.js";
import { durationFlag } from "../args/units.js";
import type { Command, Context } from "../context.js";
import { waitForConvergence } from "../progress/watch.js";
import { buildCreateSpec } from "../spec/create.js";
import { CREATE_OPTIONS, UPDATE_OPTIONS } from "../spec/service-flags.js";
import { buildUpdateSpec } from "../spec/update.js";
import { validateServiceSpec } from "../spec/validate.js";
import { forEachRef, oneArg, requireArgs, withVersionRetry } from "./output.js";

/**
 * Follows convergence unless --detach; with -q nothing is printed while waiting. `failOnRollback`: an update
 * that ends rolled back is an error (it was not applied).
 */
async function progress(ctx: Context, p: ParsedArgs, serviceId: string, failOnRollback = false): Promise<void> {
  if (p.flag("detach")) return;
  const quiet = p.flag("quiet");
  await waitForConvergence({
    client: ctx.client,
    service: serviceId,
    write: quiet ? () => undefined : (t) => ctx.out(t),
    tty: ctx.io.stdout.isTTY === true,
    timeoutMs: durationFlag("timeout", p.string("timeout") ?? "120s"),
    failOnRollback,
    ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
  });
}

/** The options of commands that follow convergence. */
const WAIT_OPTIONS = [
  {
    name: "detach",
    short: "d",
    type: "boolean",
    help: "Exit immediately instead of waiting for the service to converge",
  },
  {
    name: "timeout",
    type: "string",
    value: "DURATION",
    help: "Give up waiting for convergence after this long (120s)",
  },
] as const;

/** `shoal service create [OPTIONS] IMAGE [COMMAND] [ARG...]`. */
export const serviceCreateCommand: Command = {
  name: "service create",
  usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
  summary: "Create a new service",
  syntax: { options: CREATE_OPTIONS, stopAtPositional: true },
  run: async (ctx, p) => {
    const spec = validateServiceSpec(buildCreateSpec(p, ctx.io.env, randomBytes(4).toString("hex").slice(0, 5)));
    const service = await ctx.client.call("serviceCreate", { body: spec });
    ctx.out(`${service.id}\n`);
    await progress(ctx, p, service.id);
    return 0;
  },
};

/** `shoal service update [OPTIONS] SERVICE`. */
export const serviceUpdateCommand: Command = {
  name: "service update",
  usage: "[OPTIONS] SERVICE",
  summary: "Update a service (its tasks are replaced by a rolling update)",
  syntax: { options: UPDATE_OPTIONS },
  run: async (ctx, p) => {
    const ref = oneArg(p, "SERVICE");
    const updated = await withVersionRetry(
      () => ctx.client.call("serviceInspect", { params: { ref } }),
      (s) =>
        ctx.client.call("serviceUpdate", {
          params: { ref: s.id },
          body: { version: s.version, spec: validateServiceSpec(buildUpdateSpec(s.spec, p, ctx.io.env)) },
        }),
    );
    ctx.out(`${updated.spec.name}\n`);
    await progress(ctx, p, updated.id, true);
    return 0;
  },
};

/** `shoal service rollback SERVICE`. */
export const serviceRollbackCommand: Command = {
  name: "service rollback",
  usage: "[OPTIONS] SERVICE",
  summary: "Return a service to its spec before the last update",
  syntax: {
    options: [...WAIT_OPTIONS, { name: "quiet", short: "q", type: "boolean", help: "Print nothing while waiting" }],
  },
  run: async (ctx, p) => {
    const ref = oneArg(p, "SERVICE");
    const s = await ctx.client.call("serviceRollback", { params: { ref } });
    ctx.out(`${s.spec.name}\n`);
    await progress(ctx, p, s.id);
    return 0;
  },
};

/** `shoal service scale NAME=N [NAME=N...]`. */
export const serviceScaleCommand: Command = {
  name: "service scale",
  usage: "SERVICE=REPLICAS [SERVICE=REPLICAS...]",
  summary: "Scale one or more replicated services",
  syntax: { options: WAIT_OPTIONS },
  run: async (ctx, p) => {
    const pairs = requireArgs(p, 1, "SERVICE=REPLICAS").map((arg) => {
      const m = /^(.+)=(\d+)$/.exec(arg);
      if (!m)
        throw p.usage(
          `invalid scale specifier ${JSON.stringify(arg)}: write SERVICE=REPLICAS with a whole number, like web=3`,
        );
      return { ref: m[1] as string, replicas: Number(m[2]) };
    });
    const scaled: string[] = [];
    const code = await forEachRef(
      ctx,
      pairs.map((x) => x.ref),
      async (ref) => {
        const replicas = (pairs.find((x) => x.ref === ref) as { replicas: number }).replicas;
        const s = await ctx.client.call("serviceScale", { params: { ref }, body: { replicas } });
        ctx.out(`${ref} scaled to ${replicas}\n`);
        scaled.push(s.id);
      },
    );
    for (const id of scaled) await progress(ctx, p, id);
    return code;
  },
};

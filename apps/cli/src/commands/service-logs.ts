import { ApiError, clientError, type LogsQuery } from "@shoal/api";
import { intFlag } from "../args/units.js";
import type { Command } from "../context.js";
import { formatLogLine, sinceQuery } from "../format/logs.js";
import { oneArg } from "./output.js";

/** `shoal service logs SERVICE|TASK`. */
export const serviceLogsCommand: Command = {
  name: "service logs",
  usage: "[OPTIONS] SERVICE|TASK",
  summary: "Show the logs of a service or a task",
  syntax: {
    options: [
      { name: "follow", short: "f", type: "boolean", help: "Follow log output" },
      {
        name: "tail",
        short: "n",
        type: "string",
        value: "N",
        help: "Number of lines to show from the end of each task's log (default all)",
      },
      {
        name: "since",
        type: "string",
        value: "TIME",
        help: "Show logs since a time (2024-01-02T13:23:37Z) or for a duration back (42m)",
      },
      { name: "timestamps", short: "t", type: "boolean", help: "Show timestamps" },
    ],
  },
  run: async (ctx, p) => {
    const ref = oneArg(p, "SERVICE|TASK");
    const query: LogsQuery = {};
    const tail = p.string("tail");
    if (tail !== undefined && tail !== "all") query.tail = intFlag("tail", tail);
    const since = p.string("since");
    if (since !== undefined) query.since = sinceQuery(since, Date.now());
    if (p.flag("follow")) query.follow = true;
    if (p.flag("timestamps")) query.timestamps = true;
    const stringQuery = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));

    const nodes = await ctx.client.call("nodeList", { query: {} });
    const nodeNames = new Map(nodes.map((n) => [n.id, n.description.hostname]));
    let route: "serviceLogs" | "taskLogs" = "serviceLogs";
    let service;
    try {
      service = await ctx.client.call("serviceInspect", { params: { ref } });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      const task = await ctx.client.call("taskInspect", { params: { ref } }).catch((e2: unknown) => {
        throw e2 instanceof ApiError && e2.status === 404
          ? clientError(
              "SHOAL_ERR_NOT_FOUND",
              `no service or task ${JSON.stringify(ref)}`,
              [],
              "see `shoal service ls` and `shoal service ps SERVICE`",
            )
          : e2;
      });
      service = await ctx.client.call("serviceInspect", { params: { ref: task.serviceId } });
      route = "taskLogs";
    }
    const lctx = {
      serviceNames: new Map([[service.id, service.spec.name]]),
      nodeNames,
      timestamps: p.flag("timestamps"),
    };
    const id = route === "serviceLogs" ? service.id : ref;
    for await (const line of ctx.client.stream(route, { params: { ref: id }, query: stringQuery }, ctx.io.signal)) {
      (line.stream === "stderr" ? ctx.io.stderr : ctx.io.stdout).write(formatLogLine(line, lctx));
    }
    return 0;
  },
};

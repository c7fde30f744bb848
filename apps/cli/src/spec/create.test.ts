import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, type ServiceSpecInput } from "@shoal/api";
import { parseArgs } from "../args/parser.js";
import { UsageError } from "../errors.js";
import { buildCreateSpec, defaultServiceName } from "./create.js";
import { CREATE_OPTIONS } from "./service-flags.js";
import { validateServiceSpec } from "./validate.js";

const env = { FROM_CLI: "yes" };
const create = (...argv: string[]): ServiceSpecInput =>
  buildCreateSpec(parseArgs(argv, { options: CREATE_OPTIONS, stopAtPositional: true }, "service create"), env, "abcde");

test("every service create flag lands in the spec, and the result passes the API's schema", () => {
  const spec = create(
    "--name",
    "web",
    "--replicas",
    "3",
    "-e",
    "A=1",
    "--env",
    "FROM_CLI",
    "-p",
    "8080:80",
    "-p",
    "5353:53/udp",
    "--publish",
    "published=9090,target=90,protocol=tcp,mode=host",
    "--mount",
    "type=volume,source=data,target=/data",
    "--mount",
    "type=bind,src=/srv,dst=/srv,readonly",
    "--mount",
    "type=tmpfs,target=/tmp,tmpfs-size=16M",
    "--constraint",
    "node.labels.zone==a",
    "--placement-pref",
    "spread=node.labels.zone",
    "--max-replicas",
    "2",
    "--limit-cpu",
    "0.5",
    "--limit-memory",
    "64M",
    "--limit-pids",
    "100",
    "--reserve-cpu",
    "0.25",
    "--reserve-memory",
    "32m",
    "--restart-condition",
    "on-failure",
    "--restart-delay",
    "5s",
    "--restart-max-attempts",
    "3",
    "--restart-window",
    "1m30s",
    "--health-cmd",
    "wget -q -O- localhost",
    "--health-interval",
    "10s",
    "--health-retries",
    "2",
    "--health-timeout",
    "500ms",
    "--health-start-period",
    "1m",
    "--label",
    "team=a",
    "--container-label",
    "c=1",
    "--user",
    "nobody",
    "--workdir",
    "/app",
    "--hostname",
    "h1",
    "--entrypoint",
    "/bin/sh -c",
    "--stop-signal",
    "SIGQUIT",
    "--stop-grace-period",
    "30s",
    "--read-only",
    "--security-opt",
    "seccomp=unconfined",
    "--security-opt",
    "no-new-privileges=false",
    "--update-parallelism",
    "2",
    "--update-delay",
    "10s",
    "--update-failure-action",
    "rollback",
    "--update-order",
    "start-first",
    "--endpoint-mode",
    "vip",
    "--network",
    "backend",
    "-d",
    "busybox:1.36",
    "httpd",
    "-f",
    "-p",
    "80",
  );
  assert.deepEqual(spec, {
    name: "web",
    mode: { mode: "replicated", replicas: 3 },
    labels: { team: "a" },
    taskTemplate: {
      container: {
        image: "busybox:1.36",
        args: ["httpd", "-f", "-p", "80"],
        env: ["A=1", "FROM_CLI=yes"],
        mounts: [
          { type: "volume", source: "data", target: "/data", readOnly: false },
          { type: "bind", source: "/srv", target: "/srv", readOnly: true },
          { type: "tmpfs", target: "/tmp", sizeBytes: 16 * 1024 ** 2 },
        ],
        labels: { c: "1" },
        healthcheck: {
          test: ["CMD-SHELL", "wget -q -O- localhost"],
          intervalMs: 10_000,
          retries: 2,
          timeoutMs: 500,
          startPeriodMs: 60_000,
        },
        user: "nobody",
        workdir: "/app",
        hostname: "h1",
        command: ["/bin/sh", "-c"],
        stopSignal: "SIGQUIT",
        stopGracePeriodMs: 30_000,
        readOnly: true,
        security: { seccomp: "unconfined", noNewPrivileges: false },
      },
      placement: {
        constraints: ["node.labels.zone==a"],
        preferences: [{ spread: "node.labels.zone" }],
        maxReplicasPerNode: 2,
      },
      networks: [{ target: "backend" }],
      resources: {
        limits: { cpus: 0.5, memoryBytes: 64 * 1024 ** 2, pids: 100 },
        reservations: { cpus: 0.25, memoryBytes: 32 * 1024 ** 2 },
      },
      restartPolicy: { condition: "on-failure", delayMs: 5_000, maxAttempts: 3, windowMs: 90_000 },
    },
    endpoint: {
      mode: "vip",
      ports: [
        { targetPort: 80, publishedPort: 8080 },
        { targetPort: 53, publishedPort: 5353, protocol: "udp" },
        { targetPort: 90, publishedPort: 9090, protocol: "tcp", publishMode: "host" },
      ],
    },
    updateConfig: { parallelism: 2, delayMs: 10_000, failureAction: "rollback", order: "start-first" },
  });
  const valid = validateServiceSpec(spec);
  assert.equal(valid.endpoint.ports[0]?.publishMode, "ingress");
});

test("a minimal create gets a name from the image and Swarm's defaults from the schema", () => {
  const spec = create("registry:5000/team/app:1.2");
  assert.equal(spec.name, "app-abcde");
  const valid = validateServiceSpec(spec);
  assert.deepEqual(valid.mode, { mode: "replicated", replicas: 1 });
  assert.equal(valid.taskTemplate.restartPolicy.condition, "any");
  assert.equal(defaultServiceName("docker.io/library/busybox@sha256:00", "x1"), "busybox-x1");
});

test("--security-opt takes Docker's spellings; the last one for a setting wins; none keeps the defaults", () => {
  const security = (...opts: string[]) =>
    validateServiceSpec(create(...opts.flatMap((o) => ["--security-opt", o]), "busybox")).taskTemplate.container
      .security;
  assert.deepEqual(security(), { seccomp: "default", noNewPrivileges: true });
  assert.deepEqual(security("seccomp:unconfined", "no-new-privileges:false"), {
    seccomp: "unconfined",
    noNewPrivileges: false,
  });
  assert.deepEqual(security("no-new-privileges=false", "no-new-privileges"), {
    seccomp: "default",
    noNewPrivileges: true,
  });
  assert.deepEqual(security("seccomp=unconfined", "seccomp=default"), { seccomp: "default", noNewPrivileges: true });
});

test("global mode and --no-healthcheck", () => {
  const spec = create("--mode", "global", "--no-healthcheck", "busybox");
  assert.deepEqual(spec.mode, { mode: "global" });
  assert.deepEqual(spec.taskTemplate.container.healthcheck, { test: ["NONE"] });
});

const badFlags: [string[], RegExp][] = [
  [[], /requires at least 1 argument: IMAGE/],
  [["--replicas", "two"], /"two" for --replicas: expected a whole number/],
  [["--mode", "daemon"], /--mode: use replicated or global/],
  [["--mode", "global", "--replicas", "2"], /--replicas applies to replicated services only/],
  [["-p", "80:http"], /invalid --publish "80:http"/],
  [["-p", "70000:80"], /published port "70000" in --publish/],
  [["-p", "8080:80/sctp"], /protocol "sctp" in --publish: use tcp or udp/],
  [["-p", "published=8080"], /missing target in --publish/],
  [["-p", "published=8080,target=80,mode=mesh"], /mode "mesh" in --publish: use ingress or host/],
  [["-p", "published=8080,target=80,color=red"], /unknown field "color" in --publish/],
  [["--mount", "type=nfs,target=/x"], /mount type "nfs" in --mount/],
  [["--mount", "source=data"], /missing target in --mount/],
  [["--mount", "type=bind,target=/x"], /missing source in --mount.*host path/],
  [["--mount", "type=tmpfs,source=a,target=/x"], /tmpfs mount takes no source/],
  [["--mount", "type=volume,source=a,target=/x,tmpfs-size=1M"], /tmpfs-size is only for type=tmpfs/],
  [["--mount", "type=volume,source=a,target=/x,readonly=maybe"], /readonly value "maybe"/],
  [["--placement-pref", "pack=node.labels.zone"], /the only strategy is spread/],
  [["--limit-cpu", "lots"], /--limit-cpu: expected a number/],
  [["--limit-memory", "64Q"], /size "64Q" for --limit-memory/],
  [["--limit-pids", "-5"], /--limit-pids/],
  [["--reserve-cpu", "x"], /--reserve-cpu/],
  [["--reserve-memory", "1z"], /--reserve-memory/],
  [["--restart-condition", "always"], /--restart-condition: use none, on-failure or any/],
  [["--restart-delay", "5"], /duration "5" for --restart-delay/],
  [["--restart-max-attempts", "x"], /--restart-max-attempts/],
  [["--restart-window", "soon"], /--restart-window/],
  [["--health-interval", "5s"], /--health-interval needs a health check: add --health-cmd/],
  [["--health-cmd", ""], /--health-cmd is empty/],
  [["--health-cmd", "true", "--health-retries", "x"], /--health-retries/],
  [["--health-cmd", "true", "--health-timeout", "x"], /--health-timeout/],
  [["--health-cmd", "true", "--health-start-period", "x"], /--health-start-period/],
  [["--no-healthcheck", "--health-cmd", "true"], /--no-healthcheck conflicts with --health-cmd/],
  [["--stop-grace-period", "10"], /--stop-grace-period/],
  [["--entrypoint", "sh -c 'x"], /unterminated quote in --entrypoint/],
  [["--update-parallelism", "all"], /--update-parallelism/],
  [["--update-delay", "x"], /--update-delay/],
  [["--update-failure-action", "stop"], /--update-failure-action: use pause, continue or rollback/],
  [["--update-order", "random"], /--update-order/],
  [["--endpoint-mode", "lb"], /--endpoint-mode: use vip or dnsrr/],
  [["--max-replicas", "x"], /--max-replicas/],
  [["--label", "=x"], /invalid --label "=x": write key=value/],
  [
    ["--security-opt", "seccomp=/etc/profile.json"],
    /--security-opt "seccomp=\/etc\/profile.json": .*default or unconfined/,
  ],
  [["--security-opt", "no-new-privileges=no"], /--security-opt "no-new-privileges=no": .*true or false/],
  [
    ["--security-opt", "apparmor=unconfined"],
    /unknown --security-opt .*seccomp=default\|unconfined or no-new-privileges/,
  ],
];
for (const [flags, message] of badFlags) {
  test(`service create ${flags.join(" ") || "(no image)"} is a usage error: ${message.source}`, () => {
    assert.throws(
      () => create(...flags, ...(flags.length > 0 ? ["busybox"] : [])),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
    );
  });
}

const badSpecs: [string[], string, RegExp][] = [
  [["--name", "-web"], "name", /letters, digits.*\(--name\)/],
  [["-e", "NOT_SET_ANYWHERE"], "taskTemplate.container.env.0", /NAME=value \(--env\)/],
  [["--limit-memory", "1k"], "taskTemplate.resources.limits.memoryBytes", /6 MiB \(--limit-memory\)/],
  [["--constraint", "zone=a"], "taskTemplate.placement.constraints.0", /node\.labels.*\(--constraint\)/],
  [["-p", "8080:80", "-p", "8080:81"], "endpoint.ports.1.publishedPort", /published twice \(--publish\)/],
  [["--workdir", "app"], "taskTemplate.container.workdir", /absolute.*\(--workdir\)/],
  [
    ["--mount", "type=volume,source=data,target=rel"],
    "taskTemplate.container.mounts.0.target",
    /absolute.*\(--mount\)/,
  ],
  [["--endpoint-mode", "dnsrr", "-p", "80:80"], "endpoint.mode", /dnsrr.*\(--endpoint-mode\)/],
  [
    ["--placement-pref", "spread=zone"],
    "taskTemplate.placement.preferences.0.spread",
    /node\.labels\.KEY \(--placement-pref\)/,
  ],
];
for (const [flags, field, message] of badSpecs) {
  test(`service create ${flags.join(" ")} is refused locally by the API's schema, naming ${field} and the flag`, () => {
    assert.throws(
      () => validateServiceSpec(create(...flags, "busybox")),
      (e: unknown) =>
        e instanceof ApiError &&
        e.status === 400 &&
        e.code === "SHOAL_ERR_INVALID_ARGUMENT" &&
        e.issues.some((i) => i.field === field && message.test(i.message)),
    );
  });
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import type { ContainerSpec, ImageConfig } from "../types.js";
import { DEFAULT_PATH, defaultHostname, mergeWithImage } from "./merge-image.js";

const IMAGE: ImageConfig = {
  entrypoint: ["/entry.sh"],
  cmd: ["serve", "--port", "80"],
  env: ["PATH=/opt/bin:/bin", "LANG=C.UTF-8", "MODE=prod"],
  workingDir: "/srv",
  user: "app",
  exposedPorts: ["80/tcp"],
  healthcheck: { test: ["CMD", "/health"], intervalMs: 5000, retries: 2 },
  stopSignal: "SIGQUIT",
  labels: {},
  volumes: [],
};
const BARE: ImageConfig = { env: [], exposedPorts: [], labels: {}, volumes: [] };
const spec = (patch: Partial<ContainerSpec> = {}): ContainerSpec => ({ id: "t1", image: "img", ...patch });

describe("mergeWithImage args", () => {
  const cases: [string, Partial<ContainerSpec>, ImageConfig, string[]][] = [
    ["image entrypoint and cmd", {}, IMAGE, ["/entry.sh", "serve", "--port", "80"]],
    ["spec cmd replaces the image cmd", { cmd: ["debug"] }, IMAGE, ["/entry.sh", "debug"]],
    ["spec entrypoint drops the image cmd", { entrypoint: ["/bin/sh"] }, IMAGE, ["/bin/sh"]],
    [
      "spec entrypoint and cmd",
      { entrypoint: ["/bin/sh", "-c"], cmd: ["echo hi"] },
      IMAGE,
      ["/bin/sh", "-c", "echo hi"],
    ],
    ["an empty spec entrypoint clears the image's", { entrypoint: [], cmd: ["ls"] }, IMAGE, ["ls"]],
    ["image cmd without entrypoint", {}, { ...BARE, cmd: ["sh"] }, ["sh"]],
    ["spec cmd on a bare image", { cmd: ["true"] }, BARE, ["true"]],
  ];
  for (const [name, patch, image, want] of cases) {
    it(name, () => assert.deepEqual(mergeWithImage(spec(patch), image).args, want));
  }

  const none: [string, Partial<ContainerSpec>, ImageConfig][] = [
    ["nothing to run at all", {}, BARE],
    ["an empty entrypoint and no cmd", { entrypoint: [] }, IMAGE],
    ["an empty cmd on an image without entrypoint", { cmd: [] }, { ...BARE, cmd: ["sh"] }],
    ["an empty program name", { cmd: [""] }, BARE],
  ];
  for (const [name, patch, image] of none) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => mergeWithImage(spec(patch), image),
        (e: unknown) => e instanceof InvalidSpecError && e.field === "cmd" && /set cmd/.test(e.message),
      );
    });
  }
});

describe("mergeWithImage env, cwd, user, hostname", () => {
  it("puts PATH and HOSTNAME first, then the image env, then the spec env overriding by name", () => {
    const p = mergeWithImage(spec({ hostname: "web", env: ["MODE=dev", "EXTRA=1", "LANG=en"] }), IMAGE);
    assert.deepEqual(p.env, ["PATH=/opt/bin:/bin", "HOSTNAME=web", "LANG=en", "MODE=dev", "EXTRA=1"]);
  });

  it("uses the default PATH when neither image nor spec sets one", () => {
    assert.deepEqual(mergeWithImage(spec({ cmd: ["x"] }), BARE).env, [`PATH=${DEFAULT_PATH}`, "HOSTNAME=t1"]);
  });

  it("lets the spec override PATH and HOSTNAME", () => {
    const p = mergeWithImage(spec({ env: ["PATH=/x", "HOSTNAME=other"] }), IMAGE);
    assert.deepEqual(p.env.slice(0, 2), ["PATH=/x", "HOSTNAME=other"]);
  });

  it("names a container on the host network after the host, without a hostname of its own", () => {
    const p = mergeWithImage(spec({ network: { mode: "host" } }), IMAGE, { hostHostname: "node-3" });
    assert.equal(p.hostname, undefined);
    assert.ok(p.env.includes("HOSTNAME=node-3"));
    const q = mergeWithImage(spec({ network: { mode: "host" } }), IMAGE);
    assert.ok(!q.env.some((e) => e.startsWith("HOSTNAME=")));
  });

  it("defaults the hostname to the id made a valid host name", () => {
    assert.equal(mergeWithImage(spec(), IMAGE).hostname, "t1");
    assert.equal(defaultHostname("svc_1.task.abc"), "svc-1-task-abc");
    assert.equal(defaultHostname("a".repeat(100)).length, 63);
    assert.equal(defaultHostname(`${"a".repeat(62)}_b`), "a".repeat(62));
  });

  const cwd: [Partial<ContainerSpec>, ImageConfig, string][] = [
    [{}, IMAGE, "/srv"],
    [{ workdir: "/app" }, IMAGE, "/app"],
    [{ cmd: ["x"] }, BARE, "/"],
    [{ cmd: ["x"] }, { ...BARE, workingDir: "" }, "/"],
    [{ cmd: ["x"] }, { ...BARE, workingDir: "rel" }, "/rel"],
  ];
  for (const [patch, image, want] of cwd) {
    it(`cwd is ${want} for workdir ${String(patch.workdir)} and image ${String(image.workingDir)}`, () => {
      assert.equal(mergeWithImage(spec(patch), image).cwd, want);
    });
  }

  it("takes the user from the spec, else the image, else root", () => {
    assert.equal(mergeWithImage(spec({ user: "0:0" }), IMAGE).user, "0:0");
    assert.equal(mergeWithImage(spec(), IMAGE).user, "app");
    assert.equal(mergeWithImage(spec({ cmd: ["x"] }), BARE).user, "");
  });
});

describe("mergeWithImage stop signal and health check", () => {
  const signals: [Partial<ContainerSpec>, ImageConfig, number][] = [
    [{ stopSignal: "SIGINT" }, IMAGE, 2],
    [{}, IMAGE, 3],
    [{ cmd: ["x"] }, BARE, 15],
  ];
  for (const [patch, image, want] of signals) {
    it(`stop signal ${want}`, () => assert.equal(mergeWithImage(spec(patch), image).stopSignal, want));
  }

  it("refuses an image whose stop signal is not a signal", () => {
    assert.throws(
      () => mergeWithImage(spec(), { ...IMAGE, stopSignal: "SIGBOGUS" }),
      (e: unknown) => e instanceof InvalidSpecError && e.field === "image.stopSignal",
    );
  });

  it("inherits the image's check, with defaults for what it leaves out", () => {
    assert.deepEqual(mergeWithImage(spec(), IMAGE).healthcheck, {
      test: ["CMD", "/health"],
      intervalMs: 5000,
      timeoutMs: 30000,
      retries: 2,
      startPeriodMs: 0,
    });
  });

  it("overrides the image's check field by field, 0 and an empty test keeping the image's", () => {
    const p = mergeWithImage(spec({ healthcheck: { test: [], intervalMs: 0, timeoutMs: 700, retries: 0 } }), IMAGE);
    assert.deepEqual(p.healthcheck, {
      test: ["CMD", "/health"],
      intervalMs: 5000,
      timeoutMs: 700,
      retries: 2,
      startPeriodMs: 0,
    });
    const q = mergeWithImage(
      spec({ healthcheck: { test: ["CMD-SHELL", "curl -f localhost"], startPeriodMs: 9 } }),
      IMAGE,
    );
    assert.deepEqual(q.healthcheck?.test, ["CMD-SHELL", "curl -f localhost"]);
    assert.equal(q.healthcheck?.startPeriodMs, 9);
  });

  it("has no check when the spec says NONE or nobody defines one", () => {
    assert.equal(mergeWithImage(spec({ healthcheck: { test: ["NONE"] } }), IMAGE).healthcheck, undefined);
    assert.equal(mergeWithImage(spec({ cmd: ["x"] }), BARE).healthcheck, undefined);
    assert.equal(mergeWithImage(spec(), { ...IMAGE, healthcheck: { test: ["NONE"] } }).healthcheck, undefined);
    assert.ok(!("healthcheck" in mergeWithImage(spec({ cmd: ["x"] }), BARE)));
  });
});

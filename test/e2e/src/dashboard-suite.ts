import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { type Node, type Service } from "@shoal/api";
import { ensureBusyboxTarball, rootSkip } from "@shoal/runtime/testing";
import { NodeCluster, REPO, until } from "./node-cluster.js";

// The web dashboard in a real browser (Debian's chromium, headless, driven by playwright-core) against a real
// one-node cluster: the page signs in with root's access token (the file `cluster init` wrote) and then works
// with the session cookie alone; what the page shows comes from the API and its event stream, and what the page
// changes is checked on the machine (runc's containers). Every test saves a screenshot under
// test-artifacts/dashboard.

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(REPO, "test-artifacts", "dashboard");
const BUILD = join(REPO, "apps", "dashboard", "dist", "web", "index.html");
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

describe("web dashboard, in a browser against a one-node cluster", { skip: rootSkip, timeout: 600_000 }, () => {
  // Its own bridge subnet, apart from the one-node suite's (they run one after the other; see one-node.test.ts).
  const c = new NodeCluster("10.214.0.0/24");
  let browser: Browser | undefined;
  let page: Page;
  let image = "busybox:latest";
  let node: Node;
  /** Errors the page logged (script errors, refused requests, CSP violations) since the test began. */
  let pageErrors: string[] = [];

  before(async () => {
    assert.ok(
      existsSync(BUILD),
      `no dashboard build at ${BUILD}: run \`npm run build -w @shoal/dashboard\` (scripts/setup.sh does)`,
    );
    assert.ok(
      existsSync(CHROMIUM),
      `no browser at ${CHROMIUM}: install Debian's chromium package (scripts/setup.sh does)`,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    const tar = await ensureBusyboxTarball();
    await c.init();
    const loaded = await c.shoal(["image", "load", "-i", tar, "--run-dir", c.runDir]);
    image = /busybox\S*/.exec(loaded)?.[0] ?? image;
    node = (await c.client.call("nodeList"))[0] as Node;
    // As root, chromium's sandbox cannot start; the page is our own, served from loopback. The manager's
    // certificate comes from the cluster's private CA: the browser accepts exactly that manager's key.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage", c.chromiumTrustFlag()],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error")
        pageErrors.push(`console: ${m.text()} (at ${m.location().url}:${m.location().lineNumber})`);
    });
  });
  afterEach(async (t) => {
    await page
      ?.screenshot({ path: join(ARTIFACTS, `${t.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 80)}.png`), fullPage: true })
      .catch(() => undefined);
  });
  after(async () => {
    await browser?.close();
    await c.destroy();
  });

  const base = () => `https://127.0.0.1:${c.ports.api}`;
  /** Signs in on the form `p` shows, with `token` (default root's, from `<dataDir>/admin/access-token`). */
  const signIn = async (p: Page, token = c.accessToken()) => {
    await p.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 30_000 });
    await p.getByLabel("Access token").fill(token);
    await p.getByRole("button", { name: "Sign in" }).click();
  };
  const open = async (hash: string) => {
    pageErrors = [];
    await page.goto(`${base()}/${hash}`);
    await page.getByRole("status").filter({ hasText: "live" }).waitFor({ timeout: 30_000 });
  };
  /** Containers runc runs for a service's tasks. */
  const containersOf = async (service: string) => {
    const ids = new Set((await c.tasks(service)).map((t) => t.status.containerId).filter(Boolean));
    return c.runcList().filter((r) => r.status === "running" && ids.has(r.id)).length;
  };
  const create = (name: string, replicas: number, script: string): Promise<Service> =>
    c.client.call("serviceCreate", {
      body: {
        name,
        mode: { mode: "replicated", replicas },
        taskTemplate: { container: { image, command: ["sh", "-c", script] } },
      },
    });

  it("asks to sign in, says so for a wrong token, and opens with root's access token; the page keeps no token", async () => {
    await page.goto(`${base()}/#/`);
    const form = page.getByRole("region", { name: "Sign in" });
    await form.waitFor({ timeout: 30_000 });
    assert.match(await form.innerText(), /<data-dir>\/admin\/access-token/);
    assert.equal(await page.getByRole("navigation", { name: "Pages" }).count(), 0, "nothing of the cluster shows");
    await page.screenshot({ path: join(ARTIFACTS, "sign-in.png"), fullPage: true });

    await signIn(page, "shoal_at_not-the-token");
    const refused = page.getByRole("alert").filter({ hasText: "Cannot sign in" });
    await refused.waitFor();
    assert.match(await refused.innerText(), /the access token is not valid for this cluster/);
    assert.match(await refused.innerText(), /SHOAL_ERR_UNAUTHENTICATED/);

    await signIn(page);
    await page.getByRole("status").filter({ hasText: "live" }).waitFor({ timeout: 30_000 });
    const cookies = await page.context().cookies(base());
    const session = cookies.find((k) => k.name === "shoal_session");
    assert.ok(session, "a session cookie");
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, "Strict");
    const stored = await page.evaluate<string>("JSON.stringify([sessionStorage, localStorage, document.cookie])");
    assert.ok(!stored.includes(c.accessToken()), "the page keeps no token");
    assert.ok(!stored.includes(session.value), "scripts cannot read the cookie");
    // Signing out ends the session: the form again, and the old cookie is refused.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal(
      (await page.context().cookies(base())).some((k) => k.name === "shoal_session"),
      false,
      "the cookie is cleared",
    );
    await page.context().addCookies([session]);
    assert.equal(
      await page.evaluate<number>("fetch('/v1/info').then((r) => r.status)"),
      401,
      "the old cookie is refused",
    );
    await page.reload();
    await signIn(page);
    await page.getByRole("status").filter({ hasText: "live" }).waitFor({ timeout: 30_000 });
    assert.deepEqual(
      pageErrors.filter((e) => !/401/.test(e)),
      [],
      "no error but the refused requests that showed the form",
    );
  });

  it("the overview shows the node and the leader, and fits a narrow screen", async () => {
    await open("#/");
    const host = node.description.hostname;
    const row = page.locator(`[data-node="${host}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /ready/);
    assert.match(await row.innerText(), /manager/);
    const managers = page.getByRole("region", { name: "Managers" });
    await managers.getByText("leader", { exact: true }).waitFor();
    assert.match(await managers.innerText(), /reachable/);
    assert.match(
      await managers.innerText(),
      new RegExp(`Leader: manager \\d+ at ${c.ports.api}|Leader: manager \\d+ at 127\\.0\\.0\\.1:${c.ports.api}`),
    );

    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate<number>(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 375px screen`);
    await page.screenshot({ path: join(ARTIFACTS, "overview-narrow.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(pageErrors, []);
  });

  it("a service created through the API appears and its bar converges", async () => {
    await open("#/services");
    await page.getByText("No services yet").waitFor();
    await create("dash-web", 2, "exec sleep 100000");
    const bar = page.getByRole("progressbar", { name: "dash-web tasks running" });
    await bar.waitFor();
    assert.equal(await bar.getAttribute("aria-valuemax"), "2");
    await page
      .locator('[data-service="dash-web"] [role="progressbar"][aria-valuenow="2"]')
      .waitFor({ timeout: 60_000 });
    assert.equal(await containersOf("dash-web"), 2);
    assert.deepEqual(pageErrors, []);
  });

  it("scaling from the service's page changes the number of running containers", async () => {
    await open("#/services");
    await page.getByRole("link", { name: "dash-web" }).click();
    await page.getByRole("heading", { name: "Service dash-web" }).waitFor();
    // A scale made elsewhere shows in the form.
    const svc = await c.client.call("serviceInspect", { params: { ref: "dash-web" } });
    await c.client.call("serviceScale", { params: { ref: svc.id }, body: { replicas: 4 } });
    // (the field's value is a property the page sets, not an attribute a selector could wait for)
    await until(
      async () => (await page.getByLabel("Replicas").inputValue()) === "4",
      30_000,
      "the replicas field to show 4",
    );
    await page.getByLabel("Replicas").fill("3");
    await page.getByRole("button", { name: "Scale" }).click();
    await until(async () => (await containersOf("dash-web")) === 3, 60_000, "3 containers of dash-web");
    await page.locator('[role="progressbar"][aria-valuetext="3 of 3 running"]').waitFor({ timeout: 30_000 });
    // The bar counts tasks desired to run; the stopped task's row leaves "running" once the agent's report of
    // its stop arrives, which may be a moment after its container is gone.
    await page.locator('tr[data-state="running"]').nth(3).waitFor({ state: "detached", timeout: 30_000 });
    assert.equal(await page.locator('tr[data-state="running"]').count(), 3);

    // A change the API refuses says why and changes nothing.
    await page.getByLabel("Replicas").fill("200000");
    await page.getByRole("button", { name: "Scale" }).click();
    const refused = page.getByRole("alert").filter({ hasText: "The change was refused" });
    await refused.waitFor();
    assert.match(await refused.innerText(), /replicas/);
    assert.equal(await containersOf("dash-web"), 3);
  });

  it("draining the node from the page stops its tasks, and activating it brings them back", async () => {
    await open("#/nodes");
    const host = node.description.hostname;
    await page.getByRole("button", { name: `Drain ${host}` }).click();
    await until(async () => (await containersOf("dash-web")) === 0, 60_000, "the drained node's containers to stop");
    const card = page.locator(`article[data-node="${host}"]`);
    await card.getByText("drain", { exact: true }).waitFor();
    assert.equal(await page.getByRole("button", { name: `Drain ${host}` }).isDisabled(), true);
    await open("#/services/dash-web");
    await page.getByRole("note").filter({ hasText: "wait for a node" }).waitFor({ timeout: 30_000 });
    assert.match(await page.getByRole("note").innerText(), /drain/i, "pending tasks show the scheduler's reason");
    await page.screenshot({ path: join(ARTIFACTS, "drained-service-pending.png"), fullPage: true });

    await open("#/nodes");
    await page.getByRole("button", { name: `Activate ${host}` }).click();
    await until(async () => (await containersOf("dash-web")) === 3, 60_000, "the containers to come back");
    assert.deepEqual(pageErrors, []);
  });

  it("a task's logs show its output and follow new lines", async () => {
    const s = await create(
      "dash-talker",
      1,
      'i=0; while true; do echo "line $i from the dashboard test"; i=$((i+1)); sleep 0.5; done',
    );
    const task = await until(
      async () => (await c.tasks(s.id)).find((t) => t.status.state === "running"),
      60_000,
      "dash-talker running",
    );
    await open(`#/services/${s.id}`);
    await page.getByRole("link", { name: "Logs of dash-talker.1" }).click();
    const logs = page.getByLabel("Log lines of dash-talker.1");
    await logs.getByText("line 0 from the dashboard test").waitFor({ timeout: 30_000 });
    await logs.getByText("line 6 from the dashboard test").waitFor({ timeout: 30_000 });
    assert.equal(new URL(page.url()).hash, `#/tasks/${task.id}/logs`);
    assert.deepEqual(pageErrors, []);
  });

  it("every page passes every axe accessibility check (names, labels, roles, headings, contrast)", async () => {
    // A page of its own that ignores the CSP, which would refuse the injected checker.
    const ctx = await (browser as Browser).newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    try {
      const p = await ctx.newPage();
      // The sign-in form first, then every page once signed in.
      const found: string[] = [];
      await p.goto(`${base()}/#/`);
      await p.getByRole("heading", { name: "Sign in" }).waitFor({ timeout: 30_000 });
      await checkA11y(p, "sign-in", found);
      await signIn(p);
      const talker = (await c.tasks("dash-talker")).find((t) => t.status.state === "running");
      const pages = [
        "#/",
        "#/services",
        "#/services/dash-web",
        "#/nodes",
        "#/networks",
        "#/events",
        ...(talker ? [`#/tasks/${talker.id}/logs`] : []),
      ];
      for (const hash of pages) {
        await p.goto(`${base()}/${hash}`);
        await p.getByRole("status").filter({ hasText: "live" }).waitFor({ timeout: 30_000 });
        await checkA11y(p, hash, found);
      }
      assert.deepEqual(found, []);
    } finally {
      await ctx.close();
    }
  });

  it("says so when its manager stops answering, and once it is back asks to sign in again, then goes live", async () => {
    await open("#/");
    await c.stopDaemon("manager");
    await page.getByRole("alert").filter({ hasText: "This manager stopped answering" }).waitFor({ timeout: 30_000 });
    // The last known state stays on the page.
    await page.locator(`[data-node="${node.description.hostname}"]`).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "manager-unreachable.png"), fullPage: true });
    await c.startDaemon("manager");
    // Sessions live in the manager's memory: the restarted one has none.
    await signIn(page);
    await page.getByRole("status").filter({ hasText: "live" }).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByRole("alert").filter({ hasText: "This manager stopped answering" }).count(), 0);
  });
});

/** Runs every axe check on the page `p` shows, adding each violation to `found` as a line naming `what`. */
async function checkA11y(p: Page, what: string, found: string[]): Promise<void> {
  await p.addScriptTag({ path: AXE });
  const result = await p.evaluate<{
    passes: number;
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  }>(
    "axe.run(document).then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })) }))",
  );
  assert.ok(result.passes > 10, `axe checked ${what} (${result.passes} rules passed)`);
  for (const v of result.violations)
    found.push(
      `${what}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes
        .map((n) => n.target.join(" "))
        .slice(0, 3)
        .join(", ")}`,
    );
}

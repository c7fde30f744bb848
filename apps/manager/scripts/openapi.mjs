#!/usr/bin/env node
// Writes docs/api/openapi.json from the API's route table: `npm run openapi`. Builds first (tsc -b is
// incremental), so the document always matches the sources. A test fails when the committed file is stale.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const root = new URL("../../../", import.meta.url);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const build = spawnSync(process.execPath, [tsc, "-b"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) {
  console.error("openapi: the build failed: fix it, then run `npm run openapi` again");
  process.exit(build.status ?? 1);
}
const { openApiText } = await import(new URL("../dist/api/openapi.js", import.meta.url).href);
const { SHOAL_VERSION } = await import("@shoal/api");
const out = new URL("docs/api/openapi.json", root);
mkdirSync(new URL(".", out), { recursive: true });
writeFileSync(out, openApiText(SHOAL_VERSION));
console.log(`openapi: wrote ${out.pathname}`);

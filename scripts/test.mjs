#!/usr/bin/env node
// Runs every compiled test file (`dist/**/*.test.js`) of every workspace package, and the tests of scripts/
// (`*.test.mjs`), with node's test runner.
// Usage: node scripts/test.mjs [substring ...]   (only files whose path contains one of the substrings)
import { readdirSync, statSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.js") || name.endsWith(".test.mjs")) out.push(p);
  }
  return out;
}

const files = [];
for (const group of ["libs", "apps", "test"]) {
  const g = join(root, group);
  if (!existsSync(g)) continue;
  for (const pkg of readdirSync(g)) {
    const dist = join(g, pkg, "dist");
    if (existsSync(dist)) walk(dist, files);
  }
}
// The lint plugins' own tests (plain JS, not compiled).
walk(join(root, "scripts"), files);
const chosen = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (chosen.length === 0) {
  console.error(
    `test: no compiled test files found${filters.length ? ` matching ${filters.join(", ")}` : ""}; run \`npm run build\` first`,
  );
  process.exit(1);
}
console.log(`test: ${chosen.length} files: ${chosen.map((f) => relative(root, f)).join(" ")}`);
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...chosen], { stdio: "inherit" });
process.exit(r.status ?? 1);

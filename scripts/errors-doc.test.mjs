// docs/errors.md is what the registries make, and every SHOAL_ERR_* code in the sources is in a registry.
// Needs the packages built (`tsc -b`), like every other test.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { loadRegistries, mergeRegistries, renderErrorsDoc } from "./errors-doc.mjs";

const root = new URL("..", import.meta.url).pathname;

/** The non-test TypeScript sources of every package under libs/ and apps/. */
function sources() {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name))
        out.push({ path: relative(root, p), text: readFileSync(p, "utf8") });
    }
  };
  for (const group of ["libs", "apps"]) {
    for (const pkg of readdirSync(join(root, group))) {
      const src = join(root, group, pkg, "src");
      if (existsSync(src)) walk(src);
    }
  }
  return out;
}

/** Each `"SHOAL_ERR_..."` string literal whose code is in no registry, as `file:line: code`. */
function undocumented(files, codes) {
  const found = [];
  for (const { path, text } of files) {
    text.split("\n").forEach((line, i) => {
      for (const m of line.matchAll(/(["'`])(SHOAL_ERR_[A-Z0-9_]+)\1/g)) {
        if (!codes.has(m[2])) found.push(`${path}:${i + 1}: ${m[2]}`);
      }
    });
  }
  return found;
}

const assertDocumented = (files, codes) => {
  const missing = undocumented(files, codes);
  assert.deepEqual(
    missing,
    [],
    `codes in no registry (add each to its package's src/errors.ts, then run \`npm run errors-doc\`):\n${missing.join("\n")}`,
  );
};

test("docs/errors.md is the document the error registries make", async () => {
  let text = "";
  try {
    text = readFileSync(join(root, "docs/errors.md"), "utf8");
  } catch {
    assert.fail("docs/errors.md is missing: run `npm run errors-doc` and commit it");
  }
  const fresh = renderErrorsDoc(mergeRegistries(await loadRegistries()));
  if (text === fresh) return;
  const a = text.split("\n");
  const b = fresh.split("\n");
  const line = a.findIndex((l, i) => l !== b[i]);
  assert.fail(
    `docs/errors.md is out of date (first difference at line ${line + 1}): run \`npm run errors-doc\` and commit it`,
  );
});

test("a code defined in two registries is refused, naming both packages", () => {
  const doc = { status: 409, meaning: "m", action: "a" };
  assert.throws(
    () =>
      mergeRegistries([
        { pkg: "libs/raft", registry: { SHOAL_ERR_X: doc } },
        { pkg: "apps/manager", registry: { SHOAL_ERR_Y: doc, SHOAL_ERR_X: doc } },
      ]),
    /SHOAL_ERR_X is defined in two registries, libs\/raft\/src\/errors\.ts and apps\/manager\/src\/errors\.ts/,
  );
});

test("every SHOAL_ERR_* code in the packages' sources is in a registry", async () => {
  const codes = new Set(mergeRegistries(await loadRegistries()).map((c) => c.code));
  const files = sources();
  assert.ok(
    files.some((f) => f.path === "libs/raft/src/errors.ts"),
    "the scan found no sources",
  );
  assertDocumented(files, codes);
});

test("the scan names the file, line and code of an undocumented code, and ignores prefixes and templates", () => {
  const files = [
    {
      path: "libs/x/src/a.ts",
      text: 'const ok = "SHOAL_ERR_KNOWN";\nif (c.startsWith("SHOAL_ERR_")) x(`SHOAL_ERR_${k}`);\nthrow new E(\'SHOAL_ERR_NEW\', "m");',
    },
  ];
  assert.deepEqual(undocumented(files, new Set(["SHOAL_ERR_KNOWN"])), ["libs/x/src/a.ts:3: SHOAL_ERR_NEW"]);
  assert.throws(() => assertDocumented(files, new Set(["SHOAL_ERR_KNOWN"])), /libs\/x\/src\/a\.ts:3: SHOAL_ERR_NEW/);
});

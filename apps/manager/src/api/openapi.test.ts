import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ROUTES, SHOAL_VERSION } from "@shoal/api";
import { openApiDocument, openApiText } from "./openapi.js";

const committed = new URL("../../../../docs/api/openapi.json", import.meta.url);

test("docs/api/openapi.json is the document the route table makes", () => {
  let text = "";
  try {
    text = readFileSync(committed, "utf8");
  } catch {
    assert.fail("docs/api/openapi.json is missing: run `npm run openapi` and commit it");
  }
  const fresh = openApiText(SHOAL_VERSION);
  if (text === fresh) return;
  const a = text.split("\n");
  const b = fresh.split("\n");
  const line = a.findIndex((l, i) => l !== b[i]);
  assert.fail(
    `docs/api/openapi.json is out of date (first difference at line ${line + 1}): run \`npm run openapi\` and commit it`,
  );
});

test("the document has one operation per route, with path parameters in OpenAPI form", () => {
  const doc = openApiDocument(SHOAL_VERSION) as {
    paths: Record<
      string,
      Record<string, { operationId: string; parameters?: { name: string; in: string; required: boolean }[] }>
    >;
  };
  const ops = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
  assert.deepEqual(ops.sort(), Object.keys(ROUTES).sort());
  const update = doc.paths["/v1/services/{ref}/update"]?.post;
  assert.deepEqual(
    update?.parameters?.map((p) => [p.name, p.in, p.required]),
    [["ref", "path", true]],
  );
  const logs = doc.paths["/v1/services/{ref}/logs"]?.get;
  assert.deepEqual(
    logs?.parameters?.filter((p) => p.in === "query").map((p) => [p.name, p.required]),
    [
      ["tail", false],
      ["since", false],
      ["follow", false],
      ["timestamps", false],
      ["stale", false],
    ],
  );
  // Every read that goes through a read barrier documents how to skip it.
  const list = doc.paths["/v1/services"]?.get as { parameters?: { name: string; description?: string }[] } | undefined;
  assert.match(
    list?.parameters?.find((p) => p.name === "stale")?.description ?? "",
    /without a read barrier and even without a leader/,
  );
});

#!/usr/bin/env node
// Fails when a source file is over 400 lines and does not say why at its top: a file that long usually holds
// two ideas. The reason is a comment in its first 15 lines starting "Over 400 lines:".
// Usage: node scripts/lint/file-size.mjs   (checks the files git tracks, and new ones it does not ignore)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Most lines a source file may have without a stated reason. */
export const LIMIT = 400;
const SOURCE = /\.(ts|tsx|mjs|js|cjs)$/;

/** What is wrong with a file's text, or undefined. Exported for tests. */
export function tooLong(path, text) {
  const lines = text.split("\n");
  const count = text.endsWith("\n") ? lines.length - 1 : lines.length;
  if (count <= LIMIT) return undefined;
  if (lines.slice(0, 15).some((l) => /^\s*(\/\/|\*|\/\*\*?)\s*Over 400 lines:\s*\S/.test(l))) return undefined;
  return `${path}: ${count} lines, over ${LIMIT} with no reason at its top: split it by concept, or say why it must stay whole in a comment starting "Over 400 lines:" in its first 15 lines`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = new URL("../..", import.meta.url).pathname;
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\n")
    .filter((f) => SOURCE.test(f) && !f.includes("node_modules/") && !f.includes("/dist/"));
  const problems = [];
  for (const f of files) {
    let text;
    try {
      text = readFileSync(`${root}${f}`, "utf8");
    } catch {
      continue; // deleted in the work tree
    }
    const p = tooLong(f, text);
    if (p) problems.push(p);
  }
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
}

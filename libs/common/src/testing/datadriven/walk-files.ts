import { readdirSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Lists the `*.txt` scenario files under `dir` (recursively), sorted by their path relative to `dir`. Hidden
 * files and directories (a leading `.`, as editors' lock and swap files have) are skipped.
 */
export function walkFiles(dir: string): string[] {
  const found: string[] = [];
  const visit = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && entry.name.endsWith(".txt")) found.push(path);
    }
  };
  visit(dir);
  const key = (p: string): string => relative(dir, p);
  return found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Resolves `segments` against the source directory of the module whose `import.meta.url` is `moduleUrl`.
 * Compiled tests run from `dist/`, but scenario files are not copied there and rewrite mode must update the
 * sources, so a module under a `dist` directory is mapped to the same place under the sibling `src`.
 *
 * ```ts
 * datadrivenTest(testdataPath(import.meta.url, "testdata"), () => makeHandler());
 * ```
 */
export function testdataPath(moduleUrl: string, ...segments: string[]): string {
  const parts = dirname(fileURLToPath(moduleUrl)).split(sep);
  const dist = parts.lastIndexOf("dist");
  if (dist !== -1) parts[dist] = "src";
  return join(parts.join(sep), ...segments);
}

/** `path` relative to the working directory when it lies under it (shorter positions in messages). */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

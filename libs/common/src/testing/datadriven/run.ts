import { readFile, writeFile } from "node:fs/promises";
import { statSync } from "node:fs";
import { basename, relative } from "node:path";
import { test } from "node:test";
import { unifiedDiff } from "./diff.js";
import { DatadrivenError, DatadrivenMismatchError } from "./errors.js";
import { parseScenario } from "./parse-file.js";
import { normalizeOutput, rewriteScenario } from "./rewrite.js";
import { TestData } from "./test-data.js";
import { displayPath, walkFiles } from "./walk-files.js";

/** Runs one directive and returns its output; may be async. Throwing fails the file at that directive. */
export type Handler = (td: TestData) => string | Promise<string>;

/** Options of {@link runFile}. */
export interface RunOptions {
  /** Rewrite expected outputs instead of comparing; defaults to `SHOAL_REWRITE=1` in the environment. */
  readonly rewrite?: boolean;
}

/** What {@link runFile} did with a file that passed (or was rewritten). */
export interface RunResult {
  /** The file, as given. */
  readonly path: string;
  /** How many directives ran. */
  readonly directives: number;
  /** True when rewrite mode changed the file (it is written only when its content changes). */
  readonly rewritten: boolean;
}

/** Whether the environment asks for expected outputs to be rewritten (`SHOAL_REWRITE=1`). */
export function rewriteRequested(): boolean {
  return process.env["SHOAL_REWRITE"] === "1";
}

/**
 * Runs every directive of the scenario file at `path` in order through `handler`, comparing its returned
 * string (normalised to end with one newline) with the expected output.
 *
 * - Comparing: throws a {@link DatadrivenMismatchError} (file:line, the directive, a unified diff) at the first
 *   mismatch; later directives do not run.
 * - Rewriting: every differing expected output is replaced by the actual one and the file is written back,
 *   keeping everything else byte for byte; an up-to-date file is left untouched.
 * - A handler that throws (or returns a non-string) stops the run with a {@link DatadrivenError} naming the
 *   directive, its cause attached; in rewrite mode the file is then not written at all.
 */
export async function runFile(path: string, handler: Handler, opts: RunOptions = {}): Promise<RunResult> {
  const rewrite = opts.rewrite ?? rewriteRequested();
  const text = await readFile(path, "utf8");
  const directives = parseScenario(text, displayPath(path));
  const outputs: string[] = [];
  for (const d of directives) {
    const td = new TestData({ ...d, rewrite });
    let returned: unknown;
    try {
      returned = await handler(td);
    } catch (err) {
      if (err instanceof DatadrivenError && err.pos === d.pos) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new DatadrivenError(d.pos, `"${d.directive}" failed: ${why}`, { cause: err });
    }
    if (typeof returned !== "string") {
      throw new DatadrivenError(d.pos, `"${d.directive}": the handler returned ${typeof returned}, not a string`);
    }
    const actual = normalizeOutput(returned);
    if (!rewrite && actual !== d.expected) {
      throw new DatadrivenMismatchError(d.pos, d.directive, d.expected, actual, unifiedDiff(d.expected, actual));
    }
    outputs.push(actual);
  }
  let rewritten = false;
  if (rewrite) {
    const updated = rewriteScenario(text, directives, outputs);
    if (updated !== text) {
      await writeFile(path, updated, "utf8");
      rewritten = true;
    }
  }
  return { path, directives: directives.length, rewritten };
}

/**
 * Registers node:test tests for scenario files: one test per file, named after it, when `path` is a file;
 * one per `*.txt` file (see {@link walkFiles}) when it is a directory. `makeHandler` is called afresh for each
 * file, so state lives for one file's directives, which run in order.
 */
export function datadrivenTest(path: string, makeHandler: () => Handler, opts: RunOptions = {}): void {
  const dir = statSync(path).isDirectory();
  for (const file of dir ? walkFiles(path) : [path]) {
    void test(`datadriven ${dir ? relative(path, file) : basename(file)}`, async () => {
      await runFile(file, makeHandler(), opts);
    });
  }
}

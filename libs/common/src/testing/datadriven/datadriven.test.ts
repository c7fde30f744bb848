import { basename } from "node:path";
import { datadrivenTest } from "./run.js";
import { unifiedDiff } from "./diff.js";
import type { TestData } from "./test-data.js";
import { testdataPath } from "./walk-files.js";

/**
 * The framework's own scenarios (testdata/*.txt): how directive lines parse, what the typed accessors return
 * or report, and how diffs read. Errors are printed as output, so the scenarios also pin the messages.
 */
function handler(td: TestData): string {
  const each = (read: (key: string) => unknown): string =>
    td.args
      .map((a) => {
        try {
          return `${a.key}: ${JSON.stringify(read(a.key))}`;
        } catch (err) {
          // Positions name the file as run (relative to the working directory); keep only its base name.
          const message = err instanceof Error ? err.message : String(err);
          return `${a.key}: error: ${message.replace(td.pos, basename(td.pos))}`;
        }
      })
      .join("\n");
  switch (td.cmd) {
    case "args":
      return td.args.map((a) => `${a.key} ${JSON.stringify(a.vals)}`).join("\n");
    case "int":
      return each((k) => td.int(k));
    case "ints":
      return each((k) => td.ints(k));
    case "str":
      return each((k) => td.str(k));
    case "bool":
      return each((k) => td.bool(k));
    case "input":
      return JSON.stringify(td.input);
    case "diff": {
      // Input: the expected text, a `~~~~` line, the actual text.
      const [expected = "", actual = ""] = td.input.split(/^~~~~$\n?/m);
      return unifiedDiff(expected, actual, td.int("context", 3));
    }
    default:
      return td.fail("unknown command");
  }
}

datadrivenTest(testdataPath(import.meta.url, "testdata"), () => handler);

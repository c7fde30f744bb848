import { datadrivenTest, testdataPath } from "@shoal/common/testing";
import { interactionHandler } from "./handler.js";

/**
 * The Raft core's scenario scripts: every `libs/raft/testdata/*.txt` file runs through the interaction
 * environment, one test per file. Rewrite expected outputs with `SHOAL_REWRITE=1`, then review the diff: the
 * expected output is the specification of the behaviour, not a recording of it.
 */
datadrivenTest(testdataPath(import.meta.url, "..", "..", "..", "testdata"), interactionHandler);

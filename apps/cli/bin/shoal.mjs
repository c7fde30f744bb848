#!/usr/bin/env node
// The `shoal` command: see apps/cli/src/main.ts.
import { main } from "../dist/main.js";
process.exitCode = await main(process.argv.slice(2));

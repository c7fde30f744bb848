#!/usr/bin/env node
// The `shoal` command: see apps/cli/src/main.ts.
import { main } from "../dist/main.js";
const args = process.argv.slice(2);
const code = await main(args);
// A daemon that stopped exits at once (an agent restart must fit in the node's heartbeat grace), whatever
// handles a library left open; other commands end when their output is flushed.
if (args[0] === "manager" || args[0] === "agent") process.exit(code);
process.exitCode = code;

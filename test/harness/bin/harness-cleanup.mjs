#!/usr/bin/env node
// Removes every container, network, volume and node cgroup a previous (crashed) harness run left behind.
// Usage: harness-cleanup [CLUSTER]   (only that cluster's when given)
import { removeHarnessResources } from "../dist/cleanup.js";

removeHarnessResources(process.argv[2]);

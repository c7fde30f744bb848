/** The harness waits with the shared poller (states of containers and daemons give no event to wait on). */
export { until, WaitTimeoutError } from "@shoal/common";

import { errorRegistry } from "@shoal/common/errors";

/**
 * The error codes the dashboard raises in the browser (besides the common ones and the API's), with their
 * meaning and remedy. No API answers with them (status null): the page shows them in its banners.
 */
export const DASHBOARD_ERRORS = errorRegistry({
  SHOAL_ERR_STREAM_ENDED: {
    status: null,
    meaning: "the manager closed the dashboard's live event stream (it restarted, or is stopping)",
    action:
      "none: the page reconnects by itself; if it keeps happening, check the manager with `shoal cluster status` and its log",
  },
  SHOAL_ERR_UNKNOWN: {
    status: null,
    meaning: "the page met an error that carries no Shoal code (the browser lost the connection, or a bug in the page)",
    action: "reload the page; if it persists, check that the manager answers and read the browser console",
  },
});

import { config } from "zod";

// Imported first, before any schema is built: the page's content security policy forbids eval, so zod must not
// compile validators (it probes for eval when it builds an object schema, which the browser reports).
config({ jitless: true });

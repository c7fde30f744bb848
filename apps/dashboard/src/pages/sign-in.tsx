import { useState } from "preact/hooks";
import { session } from "../api.js";
import { ProblemBox, Section, useAction } from "../ui.js";

/**
 * Asks for a user's access token and trades it for a session cookie on this manager (`POST /v1/session`). The
 * page never keeps the token: the browser holds the cookie, which scripts cannot read.
 */
export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState("");
  const { busy, problem, run } = useAction();
  return (
    <Section title="Sign in" id="h-sign-in">
      <form
        class="signin"
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await session.signIn(token.trim());
            onSignedIn();
          });
        }}
      >
        <p>
          Paste a user's access token. The cluster's first manager wrote root's when the cluster was made, in{" "}
          <code>&lt;data-dir&gt;/admin/access-token</code> (by default <code>/var/lib/shoal/admin/access-token</code>,
          readable by root only); <code>shoal cluster user create</code> writes one for each user it makes.
        </p>
        <label for="access-token">Access token</label>
        <input
          id="access-token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p class="hint">
          This manager keeps you signed in for 12 hours with a cookie the page cannot read, until you sign out or it
          restarts. Other managers ask you to sign in on their own page.
        </p>
      </form>
      {problem ? <ProblemBox problem={problem} title="Cannot sign in" /> : null}
    </Section>
  );
}

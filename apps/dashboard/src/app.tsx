import { useEffect, useMemo, useState } from "preact/hooks";
import { liveApi, session, sessionWatch } from "./api.js";
import { banners } from "./lib/banners.js";
import { LiveCluster, type LiveState } from "./lib/live.js";
import { href, parseRoute, type Route } from "./lib/route.js";
import { EventsPage } from "./pages/events.js";
import { LogsPage } from "./pages/logs.js";
import { NetworksPage } from "./pages/networks.js";
import { NodesPage } from "./pages/nodes.js";
import { Overview } from "./pages/overview.js";
import { ServicePage } from "./pages/service.js";
import { ServicesPage } from "./pages/services.js";
import { SignInPage } from "./pages/sign-in.js";
import { Empty, Loading, ProblemBox, Section, useNow } from "./ui.js";

const NAV: { route: Route; label: string }[] = [
  { route: { page: "overview" }, label: "Overview" },
  { route: { page: "services" }, label: "Services" },
  { route: { page: "nodes" }, label: "Nodes" },
  { route: { page: "networks" }, label: "Networks" },
  { route: { page: "events" }, label: "Events" },
];

function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

function useLive(): LiveState {
  const live = useMemo(() => new LiveCluster(liveApi, (s) => setState(s)), []);
  const [state, setState] = useState(live.current);
  useEffect(() => {
    void live.start();
    return () => live.stop();
  }, [live]);
  return state;
}

/**
 * The page: the cluster while the session lives, else the sign-in form. It starts as if signed in (the browser
 * may hold a session cookie, which the page cannot read); the first 401 shows the form, and each sign-in starts
 * the live view afresh.
 */
export function App() {
  const [signedIn, setSignedIn] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => sessionWatch.onEnded(() => setSignedIn(false)), []);
  if (!signedIn)
    return (
      <>
        <header class="top">
          <h1 class="brand">Shoal</h1>
        </header>
        <main>
          <SignInPage
            onSignedIn={() => {
              setGeneration((g) => g + 1);
              setSignedIn(true);
            }}
          />
        </main>
      </>
    );
  return <Dashboard key={generation} onSignedOut={() => setSignedIn(false)} />;
}

function Dashboard({ onSignedOut }: { onSignedOut: () => void }) {
  const route = useRoute();
  const live = useLive();
  const now = useNow();
  const problem = live.conn.state === "retrying" ? live.conn.problem : undefined;
  const section = route.page === "service" ? "services" : route.page === "logs" ? "services" : route.page;
  const signOut = () => {
    // Signed out whatever the answer: the cookie is cleared, or the session had already ended.
    void session.signOut().then(onSignedOut, onSignedOut);
  };
  return (
    <>
      <header class="top">
        <h1 class="brand">
          <a href={href({ page: "overview" })}>Shoal</a>
        </h1>
        <nav aria-label="Pages">
          {NAV.map((n) => (
            <a key={n.label} href={href(n.route)} aria-current={n.route.page === section ? "page" : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <Status live={live} />
        <button type="button" class="signout" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        <Banners live={live} />
        {!live.loaded ? (
          problem ? (
            <ProblemBox problem={problem} title="Cannot load the cluster's state" />
          ) : (
            <Loading what="the cluster's state" />
          )
        ) : (
          <Page route={route} live={live} now={now} />
        )}
      </main>
    </>
  );
}

function Page({ route, live, now }: { route: Route; live: LiveState; now: number }) {
  const m = live.model;
  switch (route.page) {
    case "overview":
      return <Overview live={live} now={now} />;
    case "services":
      return <ServicesPage model={m} />;
    case "service":
      return <ServicePage model={m} id={route.id} now={now} />;
    case "nodes":
      return <NodesPage model={m} />;
    case "networks":
      return <NetworksPage model={m} />;
    case "events":
      return <EventsPage model={m} now={now} />;
    case "logs":
      return <LogsPage model={m} taskId={route.taskId} />;
    case "not-found":
      return (
        <Section title="No such page" id="h-404">
          <Empty>
            Nothing at {route.path}. Go to the <a href={href({ page: "overview" })}>overview</a>.
          </Empty>
        </Section>
      );
  }
}

/** Live, reconnecting, or loading, in the header. */
function Status({ live }: { live: LiveState }) {
  const word = live.conn.state === "live" ? "live" : live.conn.state === "connecting" ? "connecting" : "reconnecting";
  return (
    <span class={`conn conn-${live.conn.state}`} role="status" aria-live="polite">
      {word}
    </span>
  );
}

/** What is wrong right now, worst first. */
function Banners({ live }: { live: LiveState }) {
  return (
    <>
      {banners(live).map((b) => (
        <div key={b.key} class={`banner banner-${b.tone}`} role={b.tone === "bad" ? "alert" : "status"}>
          {b.title ? <strong>{b.title} </strong> : null}
          {b.text}
          {b.elsewhere.length > 0 ? (
            <span>
              {" "}
              Other managers:{" "}
              {b.elsewhere.map((a, i) => (
                <span key={a}>
                  {i > 0 ? ", " : ""}
                  <a href={`https://${a}/`}>{a}</a>
                </span>
              ))}
              .
            </span>
          ) : null}
        </div>
      ))}
    </>
  );
}

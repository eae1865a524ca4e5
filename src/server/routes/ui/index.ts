/** @module The web UI's pages as Bun HTML imports, for createApp's native `serve.routes` (see access-key.ts for why). */
import accountPage from "../../../ui/account.html";
import adminPage from "../../../ui/admin.html";
import agentPage from "../../../ui/agent.html";
import indexPage from "../../../ui/index.html";
import outputPage from "../../../ui/output.html";
import playgroundPage from "../../../ui/playground.html";
import publishPage from "../../../ui/publish.html";
import replayPage from "../../../ui/replay.html";
import settingsPage from "../../../ui/settings.html";
import streamPage from "../../../ui/stream.html";

/** Answers with a redirect to `path`, keeping the query (`/ui/credits/?checkout=success` keeps its outcome). */
function redirectTo(path: string) {
  return (request: Request) => Response.redirect(`${path}${new URL(request.url).search}`, 302);
}

/**
 * A page at `/ui/<name>`, plus a redirect from `/ui/<name>/` and below: Bun's router matches paths exactly, and a
 * route declared with a trailing slash reaches Bun without it.
 */
function page(path: string, html: typeof accountPage) {
  return { [path]: html, [`${path}/*`]: redirectTo(path) };
}

/** Every page of the web UI, keyed by path; `/ui/credits` is the account page, which then opens at its top-up part. */
export const uiPages = {
  "/": redirectTo("/ui/"),
  "/ui": redirectTo("/ui/"),
  // The public runs list answers `/ui/` (and `/ui/index.html`); the agent platform's pages keep the MVP's paths.
  "/ui/*": indexPage,
  "/ui/stream.html": streamPage,
  "/ui/replay.html": replayPage,
  "/ui/output.html": outputPage,
  "/ui/agent.html": agentPage,
  "/ui/publish.html": publishPage,
  "/ui/settings.html": settingsPage,
  ...page("/ui/account", accountPage),
  ...page("/ui/credits", accountPage),
  ...page("/ui/playground", playgroundPage),
  ...page("/ui/admin", adminPage),
};

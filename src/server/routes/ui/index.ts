/** @module The web UI's pages as Bun HTML imports, for createApp's native `serve.routes` (see access-key.ts for why). */
import accountPage from "../../../ui/account.html";
import adminPage from "../../../ui/admin.html";
import playgroundPage from "../../../ui/playground.html";

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
  // TODO(#8): part B puts the public runs page here; until then the UI starts at the account page.
  "/ui/*": redirectTo("/ui/account"),
  ...page("/ui/account", accountPage),
  ...page("/ui/credits", accountPage),
  ...page("/ui/playground", playgroundPage),
  ...page("/ui/admin", adminPage),
};

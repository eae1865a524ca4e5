/** @module The AIGNE login surface at the origin root: discovery, the CLI's access-key sessions and the approval page. */
import { Elysia, t } from "elysia";
import { VERSION } from "../../../build-info";
import {
  ACCESS_KEY_PAGE_PATH,
  ACCESS_KEY_REQUEST_PATH,
  ACCESS_KEY_SELF_PATH,
  ACCESS_KEY_SESSION_PATH,
  type BlockletDiscovery,
  DISCOVERY_PATH,
  HUB_COMPONENT_DID,
} from "../../../shared/api";
import { forbidden } from "../../../shared/errors";
import approvePage from "../../../ui/approve.html";
import type { Caller } from "../../auth";
import type { AppDeps } from "../../deps";
import { renderHubError, surfaceErrors } from "../../errors";

const DecisionBody = t.Object({
  token: t.String({ minLength: 1, maxLength: 512 }),
  source: t.Optional(t.String({ maxLength: 1024 })),
  appName: t.Optional(t.String({ maxLength: 1024 })),
});

/**
 * The approval page as a Bun HTML import, for `createApp`'s native `serve.routes`: a page route declared on Elysia
 * answers `{}` once any app-wide `onRequest` hook exists, and Bun's own routing matches the path whatever the query.
 */
export const accessKeyPages = { [ACCESS_KEY_PAGE_PATH]: approvePage };

/** Where the hub is mounted behind a proxy: the path of --public-url, else the root. */
function mountPointOf(publicUrl: string | undefined): string {
  const path = publicUrl ? new URL(publicUrl).pathname.replace(/\/+$/, "") : "";
  return path || "/";
}

/** Discovery, the session API of `aigne hub connect` (aigne-hub-wire.md §2–3) and the approval page's JSON calls. */
export const accessKeyRoutes = ({
  accessKeys,
  accounts,
  auth,
  requests,
  config,
  clientAddress,
  publicBaseUrl,
}: AppDeps) => {
  const mountPoint = mountPointOf(config.publicUrl);
  const discovery = (request: Request): BlockletDiscovery => ({
    appName: "AIGNE Hub",
    appUrl: publicBaseUrl(request),
    version: VERSION,
    componentMountPoints: [
      { did: HUB_COMPONENT_DID, name: "ai-kit", title: "AIGNE Hub", mountPoint, status: "running" },
    ],
  });
  /** The signed-in browser visitor; a hub key cannot decide for a browser (unsafe methods also need the CSRF token). */
  const browserCaller = async (request: Request): Promise<Caller> => {
    const caller = await auth.anyCaller(request);
    if (!caller.csrfToken) throw forbidden("Sign in with a browser to decide access requests");
    return caller;
  };
  const noStore = (set: { headers: Record<string, string | number> }) => {
    set.headers["cache-control"] = "no-store";
  };

  return new Elysia({ name: "routes:access-key" })
    .use(surfaceErrors(requests, "access-key", renderHubError))
    .get(DISCOVERY_PATH, ({ query, request, set }) => {
      // Clients ask once per model instance; a short max-age spares them nothing but keeps proxies from hammering us.
      set.headers["cache-control"] = "public, max-age=60";
      if (query.type === "json") return discovery(request);
      set.headers["content-type"] = "application/javascript; charset=utf-8";
      return `window.blocklet = ${JSON.stringify(discovery(request))};\n`;
    })
    .post(ACCESS_KEY_SESSION_PATH, ({ request, server, set }) => {
      noStore(set);
      return accessKeys.start({
        ip: clientAddress(request, server),
        userAgent: request.headers.get("user-agent") ?? "",
      });
    })
    .get(ACCESS_KEY_SESSION_PATH, ({ query, set }) => {
      noStore(set);
      return accessKeys.poll(query.sid);
    })
    .delete(ACCESS_KEY_SESSION_PATH, ({ query, set }) => {
      noStore(set);
      return accessKeys.end(query.sid);
    })
    .get(ACCESS_KEY_REQUEST_PATH, async ({ query, request, set }) => {
      noStore(set);
      await browserCaller(request);
      return accessKeys.describe(query.token ?? "");
    })
    .post(
      `${ACCESS_KEY_REQUEST_PATH}/approve`,
      async ({ body, request, set }) => {
        noStore(set);
        const caller = await browserCaller(request);
        return accessKeys.approve({ ...body, userId: caller.user.id });
      },
      { body: DecisionBody },
    )
    .post(
      `${ACCESS_KEY_REQUEST_PATH}/deny`,
      async ({ body, request, set }) => {
        noStore(set);
        const caller = await browserCaller(request);
        return accessKeys.deny({ ...body, userId: caller.user.id });
      },
      { body: DecisionBody },
    )
    .delete(ACCESS_KEY_SELF_PATH, async ({ request }) => {
      const caller = await auth.hubCaller(request.headers.get("authorization"));
      await accounts.revokeHubKey({ id: caller.keyId!, userId: caller.user.id });
      return { revoked: true };
    });
};

/** @module Composes the surface plugins into one Elysia app; no listen, no globals. */
import { Elysia } from "elysia";
import type { AppDeps } from "./deps";
import { errorResponder, renderHubError } from "./errors";
import { accountRoutes } from "./routes/account";
import { adminRoutes } from "./routes/admin-api";
import { aigneRoutes } from "./routes/aigne";
import { anthropicRoutes } from "./routes/anthropic";
import { openaiRoutes } from "./routes/openai";
import { systemRoutes } from "./routes/system";

/** Builds the app: request log first, then each surface, then the fallback error renderer last. */
export function createApp(deps: AppDeps) {
  const respond = errorResponder(deps.requests, renderHubError);
  return (
    new Elysia({ name: "aigne-hub" })
      .use(deps.requests.plugin)
      .use(systemRoutes(deps))
      .use(accountRoutes(deps))
      .use(aigneRoutes(deps))
      .use(openaiRoutes(deps))
      .use(anthropicRoutes(deps))
      .use(adminRoutes(deps))
      // Registered last: Elysia runs error hooks in order, so this only sees what no surface claimed.
      .onError(({ code, error, set, request }) => respond({ code, error, set, request }))
  );
}

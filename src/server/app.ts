/** @module Composes the surface plugins into one Elysia app; no listen, no globals. */
import { staticPlugin } from "@elysiajs/static";
import { Elysia } from "elysia";
import { UI_PUBLIC_DIR } from "../assets";
import type { AppDeps } from "./deps";
import { errorResponder, renderHubError } from "./errors";
import { accountRoutes } from "./routes/account";
import { adminRoutes } from "./routes/admin-api";
import { agentRoutes } from "./routes/agents";
import { adaptPlatformError, PLATFORM_PATH, renderPlatformError } from "./routes/agents/errors";
import { aigneRoutes } from "./routes/aigne";
import { accessKeyPages, accessKeyRoutes } from "./routes/aigne/access-key";
import { anthropicRoutes } from "./routes/anthropic";
import { renderAnthropicError } from "./routes/anthropic/errors";
import { openaiRoutes } from "./routes/openai";
import { renderOpenAIError } from "./routes/openai/errors";
import { systemRoutes } from "./routes/system";
import { uiPages } from "./routes/ui";

/**
 * Errors no surface claimed (unmatched paths, the global body-size check) are rendered in the shape of the surface
 * the path belongs to; the first matching prefix wins.
 */
function fallbackRenderers(deps: AppDeps): [RegExp, ReturnType<typeof errorResponder>][] {
  return [
    [PLATFORM_PATH, errorResponder(deps.requests, renderPlatformError, adaptPlatformError)],
    [/^\/v1\/messages(\/|$)/, errorResponder(deps.requests, renderAnthropicError)],
    [
      /^\/(v1\/(chat|embeddings|images|models)|chat\/completions)(\/|$)/,
      errorResponder(deps.requests, renderOpenAIError),
    ],
    [/^\//, errorResponder(deps.requests, renderHubError)],
  ];
}

/** Builds the app: request log first, then each surface, then the fallback error renderer last. */
export function createApp(deps: AppDeps) {
  const renderers = fallbackRenderers(deps);
  const respond = (context: Parameters<ReturnType<typeof errorResponder>>[0]) => {
    const path = new URL(context.request.url).pathname;
    return renderers.find(([prefix]) => prefix.test(path))![1](context);
  };
  return (
    // Pages go to Bun's native routes: the request log's onRequest hook would turn an Elysia HTML route into `{}`.
    new Elysia({ name: "aigne-hub", serve: { routes: { ...accessKeyPages, ...uiPages } } })
      .use(deps.requests.plugin)
      // Files no page references (robots.txt, icons), listed once at start from the embedded folder. No ETags:
      // hashing the files started Bun's thread pool and held about a megabyte of idle memory for one robots.txt.
      .use(
        staticPlugin({
          assets: UI_PUBLIC_DIR,
          prefix: "",
          alwaysStatic: true,
          indexHTML: false,
          silent: true,
          etag: false,
          headers: { "cache-control": "public, max-age=86400" },
        }),
      )
      .use(systemRoutes(deps))
      .use(accountRoutes(deps))
      .use(aigneRoutes(deps))
      .use(accessKeyRoutes(deps))
      .use(openaiRoutes(deps))
      .use(anthropicRoutes(deps))
      .use(adminRoutes(deps))
      .use(agentRoutes(deps))
      // Registered last: Elysia runs error hooks in order, so this only sees what no surface claimed.
      .onError(({ code, error, set, request }) => respond({ code, error, set, request }))
  );
}

/** @module Anthropic-compatible surface: `POST /v1/messages` for any provider behind the hub. */
import { Elysia } from "elysia";
import type { AppDeps } from "../../deps";
import { surfaceErrors } from "../../errors";
import { callContexts, servedHeaders, sseResponse } from "../model-call";
import { renderAnthropicError } from "./errors";
import { AnthropicMessagesBody } from "./schemas";
import { createAnthropicStreamEncoder, fromAnthropicMessages, toAnthropicMessage } from "./translate";

/** Accepts `x-api-key` (Claude-style clients) as well as `Authorization: Bearer`. */
export const anthropicRoutes = (deps: AppDeps) => {
  const { gateway, auth, requests } = deps;
  const contextFor = callContexts(deps, "anthropic");
  return new Elysia({ name: "routes:anthropic" })
    .use(surfaceErrors(requests, "anthropic", renderAnthropicError))
    .derive(async ({ request }) => {
      const apiKey = request.headers.get("x-api-key");
      return { caller: await auth.hubCaller(apiKey ? `Bearer ${apiKey}` : request.headers.get("authorization")) };
    })
    .post(
      "/v1/messages",
      async ({ body, request, caller, set }) => {
        const ctx = contextFor(request, caller);
        const chatRequest = fromAnthropicMessages(body, {
          "anthropic-beta": request.headers.get("anthropic-beta") ?? undefined,
          "anthropic-version": request.headers.get("anthropic-version") ?? undefined,
        });
        const created = Math.floor(Date.now() / 1000);
        if (body.stream) {
          const stream = await (await gateway.prepareStream(chatRequest, ctx)).start();
          return sseResponse({
            stream: Promise.resolve(stream),
            encoder: createAnthropicStreamEncoder({ id: ctx.callId, model: stream.served.id, created }),
            requestId: ctx.requestId,
            headers: servedHeaders(stream.served),
          });
        }
        const { result, served, settlement } = await gateway.chat(chatRequest, ctx);
        Object.assign(set.headers, servedHeaders(served, settlement));
        return toAnthropicMessage(result, { id: ctx.callId, model: served.id, created });
      },
      { body: AnthropicMessagesBody },
    );
};

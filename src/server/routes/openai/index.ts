/** @module OpenAI-compatible surface: chat completions (also at the root), embeddings, images, models. */
import { Elysia } from "elysia";
import type { Caller } from "../../auth";
import type { AppDeps } from "../../deps";
import { surfaceErrors } from "../../errors";
import { callContexts, servedHeaders, sseResponse } from "../model-call";
import { renderOpenAIError } from "./errors";
import { OpenAIChatBody, OpenAIEmbeddingsBody, OpenAIImagesBody } from "./schemas";
import {
  createOpenAIStreamEncoder,
  fromOpenAIChat,
  fromOpenAIEmbeddings,
  fromOpenAIImages,
  toOpenAIChat,
  toOpenAIEmbeddings,
  toOpenAIImages,
  toOpenAIModelList,
} from "./translate";

type Headers = Record<string, string | number>;

/** Serves the OpenAI wire on the gateway engine; `/chat/completions` at the root serves `AIGNEHubChatModel`. */
export const openaiRoutes = (deps: AppDeps) => {
  const { gateway, auth, requests } = deps;
  const contextFor = callContexts(deps, "openai");
  const unixNow = () => Math.floor(Date.now() / 1000);

  async function chatCompletions(body: OpenAIChatBody, request: Request, caller: Caller, headers: Headers) {
    const ctx = contextFor(request, caller);
    const chatRequest = fromOpenAIChat(body);
    if (body.stream) {
      const stream = await (await gateway.prepareStream(chatRequest, ctx)).start();
      return sseResponse({
        stream: Promise.resolve(stream),
        encoder: createOpenAIStreamEncoder({ id: ctx.callId, model: stream.served.id, created: unixNow() }, body),
        requestId: ctx.requestId,
        headers: servedHeaders(stream.served),
      });
    }
    const { result, served, settlement } = await gateway.chat(chatRequest, ctx);
    Object.assign(headers, servedHeaders(served, settlement));
    return toOpenAIChat(result, { id: ctx.callId, model: served.id, created: unixNow() });
  }

  return (
    new Elysia({ name: "routes:openai" })
      .use(surfaceErrors(requests, "openai", renderOpenAIError))
      // derive runs before body validation: a caller without a valid key gets 401, never a schema error.
      .derive(async ({ request }) => ({ caller: await auth.hubCaller(request.headers.get("authorization")) }))
      .post(
        "/v1/chat/completions",
        ({ body, request, caller, set }) => chatCompletions(body, request, caller, set.headers),
        {
          body: OpenAIChatBody,
        },
      )
      .post(
        "/chat/completions",
        ({ body, request, caller, set }) => chatCompletions(body, request, caller, set.headers),
        {
          body: OpenAIChatBody,
        },
      )
      .post(
        "/v1/embeddings",
        async ({ body, request, caller, set }) => {
          const ctx = contextFor(request, caller);
          const { result, served, settlement } = await gateway.embed(fromOpenAIEmbeddings(body), ctx);
          Object.assign(set.headers, servedHeaders(served, settlement));
          return toOpenAIEmbeddings(result, { id: ctx.callId, model: served.id, created: unixNow() }, body);
        },
        { body: OpenAIEmbeddingsBody },
      )
      .post(
        "/v1/images/generations",
        async ({ body, request, caller, set }) => {
          const ctx = contextFor(request, caller);
          const { result, served, settlement } = await gateway.image(fromOpenAIImages(body), ctx);
          Object.assign(set.headers, servedHeaders(served, settlement));
          return toOpenAIImages(result, { id: ctx.callId, model: served.id, created: unixNow() });
        },
        { body: OpenAIImagesBody },
      )
      .get("/v1/models", async () => toOpenAIModelList(await gateway.models()))
  );
};

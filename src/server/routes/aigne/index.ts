/** @module AIGNE surface: the routes the unmodified AIGNE clients call, in the hub error shape. */
import { Elysia } from "elysia";
import { type AppError, invalidRequest } from "../../../shared/errors";
import type { AppDeps } from "../../deps";
import { surfaceErrors } from "../../errors";
import { defaultPaymentLink, describeAccount } from "../../services/credits";
import { callContexts, creditsOf, servedHeaders, sseResponse } from "../model-call";
import { renderAigneError } from "./errors";
import { AigneChatBody, AigneEmbeddingsBody, AigneImageBody } from "./schemas";
import {
  createAigneStreamEncoder,
  fromAigneChat,
  fromAigneEmbeddings,
  fromAigneImage,
  toAigneChat,
  toAigneEmbeddings,
  toAigneImage,
  toAigneModelList,
} from "./translate";

/** The original hub answers an unknown or unpriced model with 400 `Unsupported model`; the AIGNE clients expect it. */
function restateForAigne(e: AppError): AppError {
  if (e.extra.code !== "model_not_found") return e;
  const name = /"([^"]+)"/.exec(e.message)?.[1] ?? "";
  return invalidRequest(
    `Unsupported model "${name}": it is not enabled on this hub (operators: aigne-hub admin model set)`,
  );
}

/** `/api/user/info`, the chat, image and embeddings envelopes, the model list and the availability probe. */
export const aigneRoutes = (deps: AppDeps) => {
  const { auth, requests, publicBaseUrl, gateway, credits } = deps;
  const contextFor = callContexts(deps, "aigne");
  const unixNow = () => Math.floor(Date.now() / 1000);
  const hubCaller = (request: Request) => auth.hubCaller(request.headers.get("authorization"));
  return new Elysia({ name: "routes:aigne" })
    .use(surfaceErrors(requests, "aigne", renderAigneError, restateForAigne))
    .get("/api/user/info", async ({ request }) => {
      const { user } = await hubCaller(request);
      const base = publicBaseUrl(request);
      const mode = await credits.settings();
      return {
        user: { did: user.did, fullName: user.name, email: user.email, avatar: null },
        enableCredit: mode.enabled,
        creditBalance: mode.enabled ? describeAccount(await credits.account(user.id)) : null,
        paymentLink: mode.enabled ? (mode.paymentLink ?? defaultPaymentLink(base)) : null,
        profileLink: `${base}/ui/account`,
      };
    })
    .get("/api/ai/models", async ({ query }) => {
      const models = toAigneModelList(await gateway.models());
      return typeof query.type === "string" ? models.filter((m) => m.type === query.type) : models;
    })
    .get("/api/v2/status", async ({ query, request }) => {
      if (typeof query.model !== "string" || !query.model) throw invalidRequest("model: required", "model");
      const availability = await gateway.availability(query.model);
      if (!availability.available || !request.headers.get("authorization")) return availability;
      const { user } = await hubCaller(request);
      const mode = await credits.settings();
      const account = await credits.account(user.id);
      if (!mode.enabled || account.balance - account.held > 0) return availability;
      const link = mode.paymentLink ?? defaultPaymentLink(publicBaseUrl(request));
      return { available: false, error: `Not enough credits. Top up here: ${link}`, type: "NOT_ENOUGH", link };
    })
    .post(
      "/api/v2/chat",
      async ({ body, request, set }) => {
        // A signed-in browser (the playground) may chat too; anyCaller demands its CSRF token.
        const caller = await auth.anyCaller(request);
        const ctx = contextFor(request, caller);
        const chatRequest = fromAigneChat(body);
        if (body.options?.streaming) {
          const prepared = await gateway.prepareStream(chatRequest, ctx);
          // Headers and the model frame go out before the upstream answers; later failures become `event: error`.
          return sseResponse({
            stream: prepared.start(),
            encoder: createAigneStreamEncoder({ id: ctx.callId, model: prepared.model, created: unixNow() }, body),
            requestId: ctx.requestId,
          });
        }
        const { result, served, settlement } = await gateway.chat(chatRequest, ctx);
        Object.assign(set.headers, servedHeaders(served, settlement));
        return toAigneChat(
          result,
          { id: ctx.callId, model: served.id, created: unixNow(), credits: creditsOf(settlement) },
          body,
        );
      },
      { body: AigneChatBody },
    )
    .post(
      "/api/v2/embeddings",
      async ({ body, request, set }) => {
        const ctx = contextFor(request, await hubCaller(request));
        const { result, served, settlement } = await gateway.embed(fromAigneEmbeddings(body), ctx);
        Object.assign(set.headers, servedHeaders(served, settlement));
        return toAigneEmbeddings(result, {
          id: ctx.callId,
          model: served.id,
          created: unixNow(),
          credits: creditsOf(settlement),
        });
      },
      { body: AigneEmbeddingsBody },
    )
    .post(
      "/api/v2/image",
      async ({ body, request, set }) => {
        const ctx = contextFor(request, await hubCaller(request));
        const { result, served, settlement } = await gateway.image(fromAigneImage(body), ctx);
        Object.assign(set.headers, servedHeaders(served, settlement));
        return toAigneImage(result, {
          id: ctx.callId,
          model: served.id,
          created: unixNow(),
          credits: creditsOf(settlement),
        });
      },
      { body: AigneImageBody },
    );
};

import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { toAppError } from "../../../src/server/errors";
import { renderAigneError } from "../../../src/server/routes/aigne/errors";
import { AigneChatBody, AigneEmbeddingsBody, AigneImageBody } from "../../../src/server/routes/aigne/schemas";
import { fromAigneChat, fromAigneEmbeddings } from "../../../src/server/routes/aigne/translate";
import { renderAnthropicError } from "../../../src/server/routes/anthropic/errors";
import { AnthropicMessagesBody } from "../../../src/server/routes/anthropic/schemas";
import { fromAnthropicMessages } from "../../../src/server/routes/anthropic/translate";
import { renderOpenAIError } from "../../../src/server/routes/openai/errors";
import { OpenAIChatBody, OpenAIEmbeddingsBody, OpenAIImagesBody } from "../../../src/server/routes/openai/schemas";
import { fromOpenAIChat, fromOpenAIEmbeddings } from "../../../src/server/routes/openai/translate";
import type { AppError } from "../../../src/shared/errors";

/** Mounts each schema on a route that answers with the canonical request, errors rendered as its surface does. */
const app = (render: (e: AppError) => object) =>
  new Elysia().onError(({ code, error, set }) => {
    const e = toAppError(code, error);
    set.status = e.status;
    return render(e);
  });

const openai = app(renderOpenAIError)
  .post("/v1/chat/completions", ({ body }) => fromOpenAIChat(body), { body: OpenAIChatBody })
  .post("/v1/embeddings", ({ body }) => fromOpenAIEmbeddings(body), { body: OpenAIEmbeddingsBody })
  .post("/v1/images/generations", ({ body }) => body, { body: OpenAIImagesBody });
const anthropic = app(renderAnthropicError).post(
  "/v1/messages",
  ({ body, headers }) => fromAnthropicMessages(body, headers),
  { body: AnthropicMessagesBody },
);
const aigne = app((e) => renderAigneError(e))
  .post("/api/v2/chat", ({ body }) => fromAigneChat(body), { body: AigneChatBody })
  .post("/api/v2/embeddings", ({ body }) => fromAigneEmbeddings(body), { body: AigneEmbeddingsBody })
  .post("/api/v2/image", ({ body }) => body, { body: AigneImageBody });

async function post(server: { handle(r: Request): Promise<Response> }, path: string, body: unknown) {
  const response = await server.handle(
    new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  return { status: response.status, json: (await response.json()) as unknown };
}

/** The message of a rendered error body, whichever surface's shape it has. */
const errorMessage = (json: unknown) => (json as { error: { message: string } }).error.message;

describe("OpenAI body schemas", () => {
  test("a chat body with unknown fields and nulls for unset options is accepted", async () => {
    const { status, json } = await post(openai, "/v1/chat/completions", {
      model: "openai/gpt-4o-mini",
      messages: [{ role: "user", content: "hi", extra: true }],
      temperature: null,
      stop: null,
      logit_bias: { "42": 1 },
      metadata: { trace: "x" },
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ model: "openai/gpt-4o-mini", messages: [{ role: "user" }] });
  });

  test("a missing model, missing messages or a mistyped field is a 400 naming the field", async () => {
    const message = async (body: unknown) => {
      const { status, json } = await post(openai, "/v1/chat/completions", body);
      expect(status).toBe(400);
      return (json as { error: { message: string; type: string } }).error;
    };
    expect((await message({ messages: [{ role: "user", content: "hi" }] })).message).toStartWith("model: ");
    expect((await message({ model: "m" })).message).toStartWith("messages: ");
    const mistyped = await message({ model: "m", messages: [{ role: "user", content: "hi" }], temperature: "hot" });
    expect(mistyped).toMatchObject({ type: "invalid_request_error" });
    expect(mistyped.message).toStartWith("temperature: ");
  });

  test("a schema-valid tool message without tool_call_id gets the translator's 400 with param", async () => {
    const { status, json } = await post(openai, "/v1/chat/completions", {
      model: "m",
      messages: [
        { role: "user", content: "x" },
        { role: "tool", content: "y" },
      ],
    });
    expect(status).toBe(400);
    expect(json).toEqual({
      error: {
        message: "messages[1].tool_call_id: required on tool messages",
        type: "invalid_request_error",
        param: "messages[1].tool_call_id",
        code: null,
      },
    });
  });

  test("embeddings and image bodies require model and input or prompt", async () => {
    expect((await post(openai, "/v1/embeddings", { model: "m", input: ["a"], encoding_format: "base64" })).status).toBe(
      200,
    );
    expect((await post(openai, "/v1/embeddings", { input: "a" })).status).toBe(400);
    expect((await post(openai, "/v1/images/generations", { model: "m", prompt: "cat", quality: null })).status).toBe(
      200,
    );
    const { json } = await post(openai, "/v1/images/generations", { model: "m" });
    expect(errorMessage(json)).toStartWith("prompt: ");
  });
});

describe("Anthropic body schema", () => {
  test("a body with unknown fields is accepted and beta headers reach the canonical request", async () => {
    const response = await anthropic.handle(
      new Request("http://localhost/v1/messages", {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-beta": "files-api-2025-04-14" },
        body: JSON.stringify({
          model: "anthropic/claude-sonnet-4",
          max_tokens: 64,
          messages: [{ role: "user", content: "hi" }],
          service_tier: "auto",
          container: null,
        }),
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ passthroughHeaders: { "anthropic-beta": "files-api-2025-04-14" } });
  });

  test("max_tokens is required and its absence is named in Anthropic's error shape", async () => {
    const { status, json } = await post(anthropic, "/v1/messages", {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(status).toBe(400);
    expect(json).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(errorMessage(json)).toStartWith("max_tokens: ");
  });
});

describe("AIGNE body schemas", () => {
  test("the envelope accepts unknown top-level, input and modelOptions keys", async () => {
    const { status, json } = await post(aigne, "/api/v2/chat", {
      input: {
        messages: [{ role: "user", content: "hi" }],
        outputFileType: "url",
        modelOptions: { model: "openai/gpt-4o-mini", preferInputFileType: "url", modalities: ["text"] },
      },
      agent: "$CHAT_MODEL",
      options: { streaming: true, userContext: {}, memories: [], returnProgressChunks: false },
      somethingNew: 1,
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ model: "openai/gpt-4o-mini" });
  });

  test("input.messages is required and its absence is named in the hub error shape", async () => {
    const { status, json } = await post(aigne, "/api/v2/chat", { input: { modelOptions: { model: "m" } } });
    expect(status).toBe(400);
    expect(json).toMatchObject({ error: { type: "invalid_request" } });
    expect(errorMessage(json)).toStartWith("input.messages: ");
  });

  test("embeddings accept the envelope and the flat form; image needs a prompt", async () => {
    const envelope = await post(aigne, "/api/v2/embeddings", { input: { input: ["a"], modelOptions: { model: "m" } } });
    const flat = await post(aigne, "/api/v2/embeddings", { model: "m", input: "a" });
    expect([envelope.json, flat.json]).toEqual([
      { model: "m", input: ["a"] },
      { model: "m", input: ["a"] },
    ]);
    expect(
      (await post(aigne, "/api/v2/image", { input: { prompt: "cat", modelOptions: { model: "m" } } })).status,
    ).toBe(200);
    expect((await post(aigne, "/api/v2/image", { input: { modelOptions: { model: "m" } } })).status).toBe(400);
  });
});

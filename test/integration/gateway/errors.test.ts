/**
 * @module Refusals before any upstream call, in each surface's own error shape: malformed bodies (naming the field),
 * oversized bodies, unknown models and missing or invalid keys.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type GatewayFixture, GPT, startGateway, userTurn } from "./helpers";

const MAX_BODY = 4096;

let g: GatewayFixture;

beforeAll(async () => {
  g = await startGateway({ env: { AIGNE_HUB_MAX_BODY_BYTES: String(MAX_BODY) } });
});
afterAll(() => g.stop());
beforeEach(() => g.mock.reset());

/** Asserts an OpenAI-shaped error body and returns its message. */
async function openaiError(response: Response, status: number, code: string | null): Promise<string> {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(body).toEqual({
    error: { message: expect.any(String), type: expect.any(String), param: body.error?.param ?? null, code },
  });
  return body.error.message;
}

/** Asserts an Anthropic-shaped error body and returns its message. */
async function anthropicError(response: Response, status: number, type: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(body).toEqual({ type: "error", error: { type, message: expect.any(String) } });
  return body.error.message;
}

/** Asserts the hub's own error body and returns its message. */
async function hubError(response: Response, status: number, type: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(body).toEqual({ error: { type, message: expect.any(String) } });
  return body.error.message;
}

describe("malformed bodies", () => {
  test("OpenAI: a body without messages is a 400 invalid_request_error naming messages", async () => {
    const response = await g.post("/v1/chat/completions", { model: GPT });
    const message = await openaiError(response, 400, null);
    expect(message).toStartWith("messages");
    expect(g.mock.requests).toHaveLength(0);
  });

  test("OpenAI: a tool message without tool_call_id names that field", async () => {
    const response = await g.post("/v1/chat/completions", {
      model: GPT,
      messages: [userTurn("hi"), { role: "tool", content: "x" }],
    });
    expect(await openaiError(response, 400, null)).toContain("messages[1].tool_call_id");
  });

  test("OpenAI: a body that is not JSON is a 400 in OpenAI's shape", async () => {
    const response = await g.post("/v1/chat/completions", '{"model": "openai/gpt-4o-mini", "messages": [');
    expect(await openaiError(response, 400, null)).toContain("JSON");
  });

  test("Anthropic: a body without max_tokens is a 400 invalid_request_error naming max_tokens", async () => {
    const response = await g.post("/v1/messages", { model: GPT, messages: [userTurn("hi")] });
    expect(await anthropicError(response, 400, "invalid_request_error")).toStartWith("max_tokens");
  });

  test("Anthropic: a tool_use block in a user turn is refused naming its position", async () => {
    const response = await g.post("/v1/messages", {
      model: GPT,
      max_tokens: 16,
      messages: [{ role: "user", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] }],
    });
    expect(await anthropicError(response, 400, "invalid_request_error")).toContain("messages[0].content[0]");
  });

  test("AIGNE: an envelope without input.messages is a 400 invalid_request naming it", async () => {
    const response = await g.post("/api/v2/chat", { input: { modelOptions: { model: GPT } } });
    expect(await hubError(response, 400, "invalid_request")).toStartWith("input.messages");
  });

  test("AIGNE: a tool message without toolCallId names that field", async () => {
    const response = await g.post("/api/v2/chat", {
      input: { messages: [userTurn("hi"), { role: "tool", content: "x" }], modelOptions: { model: GPT } },
    });
    expect(await hubError(response, 400, "invalid_request")).toContain("input.messages[1].toolCallId");
    expect(g.mock.requests).toHaveLength(0);
  });
});

describe("oversized bodies", () => {
  const huge = "x".repeat(MAX_BODY * 2);

  test("a body over the limit is refused with 413 on every surface, before any upstream call", async () => {
    const openai = await g.post("/v1/chat/completions", { model: GPT, messages: [userTurn(huge)] });
    expect(openai.status).toBe(413);
    const anthropic = await g.post("/v1/messages", { model: GPT, max_tokens: 8, messages: [userTurn(huge)] });
    expect(anthropic.status).toBe(413);
    const aigne = await g.post("/api/v2/chat", { input: { messages: [userTurn(huge)], modelOptions: { model: GPT } } });
    expect(aigne.status).toBe(413);
    expect(g.mock.requests).toHaveLength(0);
  });

  test("each surface renders the 413 in its own shape", async () => {
    expect(
      (await (await g.post("/v1/chat/completions", { model: GPT, messages: [userTurn(huge)] })).json()).error,
    ).toMatchObject({ type: "invalid_request_error", code: "request_too_large" });
    expect(
      await (await g.post("/v1/messages", { model: GPT, max_tokens: 8, messages: [userTurn(huge)] })).json(),
    ).toEqual({ type: "error", error: { type: "request_too_large", message: expect.any(String) } });
    expect(await (await g.post("/api/v2/chat", { input: { messages: [userTurn(huge)] } })).json()).toEqual({
      error: { type: "too_large", message: expect.any(String) },
    });
  });
});

describe("unknown models", () => {
  test("OpenAI: 404 with code model_not_found, naming admin model set, with no upstream call", async () => {
    const message = await openaiError(
      await g.post("/v1/chat/completions", { model: "openai/gpt-nonexistent", messages: [userTurn("hi")] }),
      404,
      "model_not_found",
    );
    expect(message).toContain("openai/gpt-nonexistent");
    expect(message).toContain("admin model set");
    const error = await g.openai.chat.completions
      .create({ model: "nobody/nothing", messages: [userTurn("hi")], stream: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(g.mock.requests).toHaveLength(0);
  });

  test("Anthropic: 404 not_found_error, streamed or not", async () => {
    for (const stream of [false, true]) {
      const response = await g.post("/v1/messages", {
        model: "anthropic/claude-nonexistent",
        max_tokens: 8,
        messages: [userTurn("hi")],
        stream,
      });
      expect(await anthropicError(response, 404, "not_found_error")).toContain("anthropic/claude-nonexistent");
    }
    expect(g.mock.requests).toHaveLength(0);
  });

  test("a configured model that is disabled is refused like an unknown one", async () => {
    await g.hub.deps.catalog.setModel({
      model: "openai/gpt-paused",
      inputRate: "0.000001",
      outputRate: "0.000001",
      enabled: false,
    });
    const response = await g.post("/v1/chat/completions", { model: "openai/gpt-paused", messages: [userTurn("hi")] });
    await openaiError(response, 404, "model_not_found");
    expect(g.mock.requests).toHaveLength(0);
  });

  test("a known provider's model without rates is refused while credits are on", async () => {
    const response = await g.post("/v1/chat/completions", { model: "openai/gpt-unpriced", messages: [userTurn("hi")] });
    await openaiError(response, 404, "model_not_found");
    expect(g.mock.requests).toHaveLength(0);
  });
});

describe("missing or invalid keys", () => {
  const bodies = {
    "/v1/chat/completions": { model: GPT, messages: [userTurn("hi")] },
    "/chat/completions": { model: GPT, messages: [userTurn("hi")] },
    "/v1/embeddings": { model: "openai/text-embedding-3-small", input: "x" },
    "/v1/images/generations": { model: "openai/gpt-image-1", prompt: "x" },
  };

  test("OpenAI routes answer 401 invalid_api_key without and with a wrong key, never echoing it", async () => {
    for (const [path, body] of Object.entries(bodies)) {
      for (const key of [null, "aigne_wrong_key_123456789"]) {
        const response = await g.post(path, body, { key });
        const message = await openaiError(response, 401, "invalid_api_key");
        expect(message).not.toContain("aigne_wrong_key");
      }
    }
    await openaiError(await g.get("/v1/models", { key: null }), 401, "invalid_api_key");
    const sdk = new OpenAI({ apiKey: "aigne_wrong_key_123456789", baseURL: `${g.hub.url}/v1`, maxRetries: 0 });
    expect(await sdk.models.list().catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(g.mock.requests).toHaveLength(0);
  });

  test("a bad key with a malformed body is still a 401, not a schema error", async () => {
    await openaiError(await g.post("/v1/chat/completions", { nonsense: true }, { key: "bad" }), 401, "invalid_api_key");
    await anthropicError(await g.post("/v1/messages", { nonsense: true }, { key: "bad" }), 401, "authentication_error");
  });

  test("Anthropic answers 401 authentication_error for a missing or wrong x-api-key", async () => {
    const body = { model: GPT, max_tokens: 8, messages: [userTurn("hi")] };
    await anthropicError(await g.post("/v1/messages", body, { key: null }), 401, "authentication_error");
    const wrong = await fetch(`${g.hub.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "aigne_wrong_key_123456789" },
      body: JSON.stringify(body),
    });
    expect(await anthropicError(wrong, 401, "authentication_error")).not.toContain("aigne_wrong_key");
    const sdk = new Anthropic({ apiKey: "aigne_wrong_key_123456789", baseURL: g.hub.url, maxRetries: 0 });
    expect(await sdk.messages.create(body).catch((e: unknown) => e)).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  test("AIGNE routes answer 401 unauthorized in the hub shape", async () => {
    const chat = { input: { messages: [userTurn("hi")], modelOptions: { model: GPT } } };
    for (const key of [null, "aigne_wrong_key_123456789"]) {
      for (const [path, body] of [
        ["/api/v2/chat", chat],
        ["/api/v2/chat", { ...chat, options: { streaming: true } }],
        ["/api/v2/embeddings", { model: "openai/text-embedding-3-small", input: "x" }],
        ["/api/v2/image", { input: { prompt: "x", modelOptions: { model: "openai/gpt-image-1" } } }],
      ] as const) {
        const message = await hubError(await g.post(path, body, { key }), 401, "unauthorized");
        expect(message).not.toContain("aigne_wrong_key");
      }
    }
    expect(g.mock.requests).toHaveLength(0);
  });
});

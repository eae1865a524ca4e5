/**
 * @module Streams that do not end well: a client that leaves mid-stream (upstream aborted within the drain bound, the
 * call still recorded) and an upstream that fails mid-stream (each surface's error frame, the call recorded failed).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { APIError } from "openai";
import { dataJson, type GatewayFixture, GPT, parseSse, readFrames, startGateway, userTurn } from "./helpers";

const DRAIN_MS = 500;
const LONG_TEXT = "The quick brown fox jumps over the lazy dog while the stream keeps going on and on. ".repeat(4);

let g: GatewayFixture;
let providers = 0;

/**
 * A model on a provider of its own: a mid-stream failure cools its credential down (as it should), so each failure
 * test gets a fresh one instead of inheriting the previous test's cooldown.
 */
async function freshModel(type: "openai" | "anthropic" = "openai"): Promise<string> {
  const name = `${type}-${++providers}`;
  const baseUrl = type === "openai" ? g.mock.openaiBase : g.mock.anthropicBase;
  await g.hub.deps.catalog.setProvider({ name, type, baseUrl, apiKey: `sk-${name}-0000000000000000` });
  await g.hub.deps.catalog.setModel({ model: `${name}/model-x`, inputRate: "0.000001", outputRate: "0.000002" });
  return `${name}/model-x`;
}

beforeAll(async () => {
  g = await startGateway({ env: { AIGNE_HUB_STREAM_DRAIN_SECONDS: String(DRAIN_MS / 1000) } });
});
afterAll(() => g.stop());
beforeEach(async () => {
  g.mock.reset();
  await g.forgetCalls();
});

describe("a client that disconnects mid-stream", () => {
  test("OpenAI SDK: the upstream request is aborted within the drain bound and the call is recorded cancelled with an estimate", async () => {
    g.mock.setScript({ text: LONG_TEXT, chunks: 30, chunkDelayMs: 60 });
    const stream = await g.openai.chat.completions.create({
      model: GPT,
      messages: [userTurn("Tell me a long story")],
      stream: true,
      stream_options: { include_usage: true },
    });
    let received = "";
    let count = 0;
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? "";
      if (++count === 4) break;
    }
    const left = Date.now();
    const upstream = await g.mock.waitForAbort(0, DRAIN_MS + 1500);
    expect(upstream.aborted).toBe(true);
    expect(Date.now() - left).toBeLessThan(DRAIN_MS + 1000);
    expect(received.length).toBeGreaterThan(0);

    const call = await g.waitForCall((c) => c.stream && c.status !== "success" && c.surface === "openai");
    expect(call.status).toBe("cancelled");
    // No usage frame arrived before the abort, so the record holds a flagged estimate of what was delivered.
    expect(call.estimated).toBe(true);
    expect(call.inputTokens).toBeGreaterThan(0);
    expect(call.outputTokens).toBeGreaterThan(0);
    expect(call.outputTokens).toBeLessThan(Math.ceil(LONG_TEXT.length / 4));
    expect(call.cost).toBeGreaterThan(0);
  });

  test("AIGNE SSE: closing the connection aborts upstream and settles the call once, with output tokens", async () => {
    g.mock.setScript({ text: LONG_TEXT, chunks: 30, chunkDelayMs: 60 });
    const controller = new AbortController();
    const response = await fetch(`${g.hub.url}/api/v2/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${g.key}`, "content-type": "application/json" },
      body: JSON.stringify({
        input: { messages: [userTurn("story")], modelOptions: { model: GPT } },
        options: { streaming: true },
      }),
      signal: controller.signal,
    });
    const { text } = await readFrames(response.body!, 4);
    expect(dataJson(parseSse(text)).some((f) => f.delta.text?.text)).toBe(true);
    controller.abort();
    await g.mock.waitForAbort(0, DRAIN_MS + 1500);

    const call = await g.waitForCall((c) => c.surface === "aigne" && c.status !== "success");
    expect(call).toMatchObject({ status: "cancelled", estimated: true });
    expect(call.outputTokens).toBeGreaterThan(0);
    expect(call.cost).toBeGreaterThan(0);
    await Bun.sleep(50);
    expect((await g.calls()).filter((c) => c.id === call.id)).toHaveLength(1);
  });

  test("when the upstream finishes within the drain bound, its exact usage is recorded instead of an estimate", async () => {
    g.mock.setScript({
      text: "short answer in six pieces",
      chunks: 6,
      chunkDelayMs: 40,
      usage: { input: 21, output: 6 },
    });
    const stream = await g.openai.chat.completions.create({
      model: GPT,
      messages: [userTurn("hi")],
      stream: true,
    });
    for await (const _chunk of stream) break;
    const call = await g.waitForCall((c) => c.stream && c.status === "cancelled" && !c.estimated);
    expect(call).toMatchObject({ inputTokens: 21, outputTokens: 6 });
    expect(call.cost).toBeGreaterThan(0);
  });
});

describe("an upstream that fails mid-stream", () => {
  test("OpenAI surface: the SSE ends with an OpenAI error data frame, no [DONE], and the call is recorded failed", async () => {
    g.mock.setScript({
      text: "partial answer here",
      chunks: 3,
      streamError: { afterChunks: 2, message: "upstream exploded" },
    });
    const response = await g.post("/v1/chat/completions", {
      model: await freshModel(),
      messages: [userTurn("hi")],
      stream: true,
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain("[DONE]");
    const frames = dataJson(parseSse(text));
    expect(frames.filter((f) => f.choices?.[0]?.delta?.content).length).toBe(2);
    expect(frames.at(-1)).toEqual({
      error: { message: expect.any(String), type: "server_error", param: null, code: expect.any(String) },
    });
    const call = await g.waitForCall((c) => c.surface === "openai" && c.status === "failed");
    expect(call.errorType).toBe("upstream_error");
    expect(call.outputTokens).toBeGreaterThan(0);
  });

  test("the openai SDK raises the error frame as an APIError after the delivered chunks", async () => {
    g.mock.setScript({ text: "partial answer here", chunks: 3, streamError: { afterChunks: 1 } });
    const stream = await g.openai.chat.completions.create({
      model: await freshModel(),
      messages: [userTurn("hi")],
      stream: true,
    });
    let text = "";
    const failure = await (async () => {
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(APIError);
    expect(text.length).toBeGreaterThan(0);
  });

  test("Anthropic surface: the SSE ends with `event: error` in Anthropic's shape and the call is recorded failed", async () => {
    g.mock.setScript({
      text: "partial answer here",
      chunks: 3,
      streamError: { afterChunks: 2, type: "overloaded_error" },
    });
    const response = await g.post("/v1/messages", {
      model: await freshModel("anthropic"),
      max_tokens: 64,
      messages: [userTurn("hi")],
      stream: true,
    });
    expect(response.status).toBe(200);
    const frames = parseSse(await response.text());
    const last = frames.at(-1)!;
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data!)).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: expect.any(String) },
    });
    expect(frames.some((f) => f.event === "message_stop")).toBe(false);
    expect(frames.filter((f) => f.event === "content_block_delta")).toHaveLength(2);
    const call = await g.waitForCall((c) => c.surface === "anthropic" && c.status === "failed");
    expect(call.provider).toStartWith("anthropic-");
  });

  test("AIGNE surface: the SSE ends with `event: error` and a message, and the call is recorded failed", async () => {
    g.mock.setScript({ text: "partial answer here", chunks: 3, streamError: { afterChunks: 2 } });
    const response = await g.post("/api/v2/chat", {
      input: { messages: [userTurn("hi")], modelOptions: { model: await freshModel() } },
      options: { streaming: true },
    });
    expect(response.status).toBe(200);
    const frames = parseSse(await response.text());
    const last = frames.at(-1)!;
    expect(last.event).toBe("error");
    expect(JSON.parse(last.data!)).toEqual({ message: expect.any(String) });
    // Only `error` is ever a named event on this surface.
    expect(frames.filter((f) => f.event !== undefined)).toEqual([last]);
    expect(
      dataJson(frames.slice(0, -1))
        .map((f) => f.delta.text?.text ?? "")
        .join("").length,
    ).toBeGreaterThan(0);
    await g.waitForCall((c) => c.surface === "aigne" && c.status === "failed");
  });

  test("a dropped upstream connection mid-stream also ends with the surface's error frame", async () => {
    g.mock.setScript({ text: "partial answer here", chunks: 3, cutAfterChunks: 1 });
    const response = await g.post("/api/v2/chat", {
      input: { messages: [userTurn("hi")], modelOptions: { model: await freshModel() } },
      options: { streaming: true },
    });
    const frames = parseSse(await response.text());
    expect(frames.at(-1)!.event).toBe("error");
    await g.waitForCall((c) => c.surface === "aigne" && c.status === "failed");
  });

  test("partial output before a mid-stream failure is billed like a disconnect (gateway-notes §5.6)", async () => {
    g.mock.setScript({ text: LONG_TEXT, chunks: 6, streamError: { afterChunks: 4 } });
    const response = await g.post("/v1/chat/completions", {
      model: await freshModel(),
      messages: [userTurn("hi")],
      stream: true,
    });
    await response.text();
    const call = await g.waitForCall((c) => c.surface === "openai" && c.status === "failed");
    expect(call.outputTokens).toBeGreaterThan(0);
    expect(call.cost).toBeGreaterThan(0);
  });
});

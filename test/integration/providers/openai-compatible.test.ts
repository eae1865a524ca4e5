/** @module The `openai-compatible` provider against the mock upstream: OpenAI's wire with its look-alikes' quirks. */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { openaiCompatibleProvider } from "../../../src/server/providers/openai-compatible";
import type { ChatRequest } from "../../../src/server/services/gateway/types";
import { startMockUpstream } from "../../mocks/upstream";
import { collect, FAKE_KEY, NEVER, targetAt, toolCallsOf, userText } from "./helpers";

const mock = await startMockUpstream();
const target = targetAt(mock.openaiBase, { model: "deepseek-chat" });
const hello: ChatRequest = { model: "deepseek/deepseek-chat", messages: [userText("Hi")], maxTokens: 100 };

beforeEach(() => mock.reset());
afterAll(() => mock.stop());

describe("openai-compatible provider", () => {
  test("sends max_tokens rather than max_completion_tokens, with the bearer key", async () => {
    await openaiCompatibleProvider.chat(hello, target, NEVER);
    const request = mock.requests[0];
    expect(request?.body.max_tokens).toBe(100);
    expect(request?.body.max_completion_tokens).toBeUndefined();
    expect(request?.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
  });

  test("an empty key sends no Authorization header at all, as Ollama expects", async () => {
    const result = await openaiCompatibleProvider.chat(hello, { ...target, apiKey: "" }, NEVER);
    expect(result.text).toBe("Hello from the mock upstream.");
    expect(mock.requests[0]?.headers.authorization).toBeUndefined();
    expect(mock.requests[0]?.apiKey).toBeUndefined();
  });

  test("a stream without usage yields no usage chunk and still finishes", async () => {
    mock.setScript({ text: "no usage here", omitUsage: true });
    const chunks = await collect(openaiCompatibleProvider.chatStream(hello, target, NEVER));
    expect(chunks.some((chunk) => chunk.type === "usage")).toBe(false);
    expect(chunks.at(-1)).toEqual({ type: "finish", reason: "stop" });
    expect(mock.requests[0]?.body.stream_options).toEqual({ include_usage: true });
  });

  test("DeepSeek-style reasoning_content, tool calls and cached usage come through the shared OpenAI wire", async () => {
    mock.setScript({
      reasoning: "hmm",
      chunks: 1,
      toolCalls: [{ id: "call_9", name: "search", arguments: { q: "bun" } }],
      usage: { input: 10, cacheRead: 6, output: 5 },
    });
    const chunks = await collect(openaiCompatibleProvider.chatStream(hello, target, NEVER));
    expect(chunks[0]).toEqual({ type: "reasoning", text: "hmm" });
    expect(toolCallsOf(chunks)).toEqual([{ id: "call_9", name: "search", arguments: '{"q":"bun"}' }]);
    expect(chunks.at(-2)).toEqual({
      type: "usage",
      usage: { inputTokens: 10, cacheReadTokens: 6, cacheWriteTokens: 0, outputTokens: 5, reasoningTokens: 1 },
    });
    expect(openaiCompatibleProvider.type).toBe("openai-compatible");
  });
});

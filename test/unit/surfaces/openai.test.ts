import { describe, expect, test } from "bun:test";
import type { OpenAIChatBody } from "../../../src/server/routes/openai/schemas";
import {
  createOpenAIStreamEncoder,
  fromOpenAIChat,
  fromOpenAIEmbeddings,
  fromOpenAIImages,
  toOpenAIChat,
  toOpenAIEmbeddings,
  toOpenAIImages,
  toOpenAIModelList,
} from "../../../src/server/routes/openai/translate";
import type { ChatChunk, ChatResult, Usage } from "../../../src/server/services/gateway/types";
import { AppError, unavailable } from "../../../src/shared/errors";
import { jsonFrames, openAIStreamError, readOpenAIStream, splitFrames, thrownBy } from "./readers";

const meta = { id: "01JCALL", model: "openai/gpt-4o-mini", created: 1_700_000_000 };
const usage: Usage = {
  inputTokens: 80,
  outputTokens: 12,
  cacheReadTokens: 20,
  cacheWriteTokens: 4,
  reasoningTokens: 5,
};
const PNG = "iVBORw0KGgoAAAANSUhEUg==";

const chat = (extra: Partial<OpenAIChatBody> = {}): OpenAIChatBody => ({
  model: "openai/gpt-4o-mini",
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

function encode(chunks: ChatChunk[], body: OpenAIChatBody = chat(), finishReason: ChatResult["finishReason"] = "stop") {
  const encoder = createOpenAIStreamEncoder(meta, body);
  return encoder.open() + chunks.map((c) => encoder.chunk(c)).join("") + encoder.end({ usage, finishReason });
}

describe("OpenAI request translation", () => {
  test("a string message becomes one text part and the model stays as the client named it", () => {
    const request = fromOpenAIChat(chat());
    expect(request.model).toBe("openai/gpt-4o-mini");
    expect(request.messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
  });

  test("developer and system messages both become system turns", () => {
    const request = fromOpenAIChat(
      chat({
        messages: [
          { role: "developer", content: "be brief" },
          { role: "system", content: [{ type: "text", text: "be kind" }] },
          { role: "user", content: "hi" },
        ],
      }),
    );
    expect(request.messages.map((m) => [m.role, m.content])).toEqual([
      ["system", [{ type: "text", text: "be brief" }]],
      ["system", [{ type: "text", text: "be kind" }]],
      ["user", [{ type: "text", text: "hi" }]],
    ]);
  });

  test("image_url data URLs become base64 image parts and http URLs stay URLs", () => {
    const request = fromOpenAIChat(
      chat({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "compare" },
              { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } },
              { type: "image_url", image_url: { url: "https://example.com/cat.jpg", detail: "high" } },
            ],
          },
        ],
      }),
    );
    expect(request.messages[0]!.content).toEqual([
      { type: "text", text: "compare" },
      { type: "image", source: { kind: "base64", mediaType: "image/png", data: PNG } },
      { type: "image", source: { kind: "url", url: "https://example.com/cat.jpg" } },
    ]);
  });

  test("a pdf file part becomes a canonical file part that keeps its filename", () => {
    const request = fromOpenAIChat(
      chat({
        messages: [
          {
            role: "user",
            content: [{ type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0x" } }],
          },
        ],
      }),
    );
    expect(request.messages[0]!.content).toEqual([
      { type: "file", mediaType: "application/pdf", data: "JVBERi0x", filename: "a.pdf" },
    ]);
  });

  test("assistant tool calls keep their JSON-string arguments and tool turns carry the call id", () => {
    const request = fromOpenAIChat(
      chat({
        messages: [
          { role: "user", content: "weather?" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: "sunny" },
        ],
      }),
    );
    expect(request.messages[1]).toEqual({
      role: "assistant",
      content: [],
      toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' }],
    });
    expect(request.messages[2]).toEqual({
      role: "tool",
      content: [{ type: "text", text: "sunny" }],
      toolCallId: "call_1",
    });
  });

  test("sampling, limits, tools, formats and reasoning effort map onto the canonical fields", () => {
    const request = fromOpenAIChat(
      chat({
        max_tokens: 100,
        max_completion_tokens: 200,
        stop: "END",
        temperature: 0.2,
        top_p: 0.9,
        frequency_penalty: 0.1,
        presence_penalty: 0.3,
        seed: 7,
        user: "u1",
        parallel_tool_calls: false,
        reasoning_effort: "xhigh",
        tools: [{ type: "function", function: { name: "weather", parameters: { type: "object" } } }],
        tool_choice: { type: "function", function: { name: "weather" } },
        response_format: {
          type: "json_schema",
          json_schema: { name: "out", schema: { type: "object" }, strict: true },
        },
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(request).toMatchObject({
      maxTokens: 200,
      stop: ["END"],
      temperature: 0.2,
      topP: 0.9,
      frequencyPenalty: 0.1,
      presencePenalty: 0.3,
      seed: 7,
      user: "u1",
      parallelToolCalls: false,
      reasoningEffort: "high",
      tools: [{ name: "weather", parameters: { type: "object" } }],
      toolChoice: { name: "weather" },
      responseFormat: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true },
    });
    expect(fromOpenAIChat(chat({ max_tokens: 100, stop: ["a", "b"], reasoning_effort: "none" }))).toMatchObject({
      maxTokens: 100,
      stop: ["a", "b"],
      reasoningEffort: undefined,
    });
  });

  test("a tool message without tool_call_id is refused, naming the field", () => {
    const error = thrownBy(() =>
      fromOpenAIChat(
        chat({
          messages: [
            { role: "user", content: "x" },
            { role: "tool", content: "y" },
          ],
        }),
      ),
    );
    expect(error).toBeInstanceOf(AppError);
    expect([error.status, error.type, error.message, error.extra.param]).toEqual([
      400,
      "invalid_request",
      "messages[1].tool_call_id: required on tool messages",
      "messages[1].tool_call_id",
    ]);
  });

  test("image data URLs that are not base64 are refused, naming the field", () => {
    const at = (url: string) =>
      thrownBy(() =>
        fromOpenAIChat(chat({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }] })),
      ).message;
    expect(at("data:image/png,rawbytes")).toBe("messages[0].content[0].image_url.url: data URL must be base64-encoded");
    expect(at("data:image/png;base64,not base64!")).toBe("messages[0].content[0].image_url.url: not valid base64 data");
    expect(at("ftp://example.com/x.png")).toBe("messages[0].content[0].image_url.url: must be an http(s) or data: URL");
  });

  test("unsupported but well-typed input is refused with the field that carries it", () => {
    const message = (body: OpenAIChatBody) => thrownBy(() => fromOpenAIChat(body)).message;
    expect(
      message(
        chat({
          messages: [
            {
              role: "assistant",
              tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{oops" } }],
            },
          ],
        }),
      ),
    ).toBe("messages[0].tool_calls[0].function.arguments: not valid JSON");
    expect(
      message(chat({ messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }] })),
    ).toBe("messages[0].content[0].file.file_id: send the file inline as file_data");
    expect(
      message(
        chat({
          messages: [
            { role: "user", content: [{ type: "input_audio", input_audio: { data: "AA==", format: "wav" } }] },
          ],
        }),
      ),
    ).toBe("messages[0].content[0]: input_audio parts are not supported");
    expect(message(chat({ n: 2 }))).toBe("n: only one choice per request is supported");
  });
});

describe("OpenAI chat completion rendering", () => {
  const result: ChatResult = { text: "Hello", toolCalls: [], finishReason: "stop", usage };

  test("a text answer renders as a chat.completion whose prompt tokens include cached and written cache", () => {
    expect(toOpenAIChat(result, meta)).toEqual({
      id: "chatcmpl-01JCALL",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "openai/gpt-4o-mini",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello", refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 104,
        completion_tokens: 12,
        total_tokens: 116,
        prompt_tokens_details: { cached_tokens: 20 },
        completion_tokens_details: { reasoning_tokens: 5 },
      },
    });
  });

  test("an answer that is only tool calls has null content and string arguments", () => {
    const completion = toOpenAIChat(
      {
        ...result,
        text: "",
        toolCalls: [{ id: "call_9", name: "weather", arguments: '{"city":"Oslo"}' }],
        finishReason: "tool_calls",
      },
      meta,
    );
    expect(completion.choices[0]!.message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ id: "call_9", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } }],
    });
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
  });

  test("reasoning text is returned as reasoning_content", () => {
    const completion = toOpenAIChat({ ...result, reasoning: [{ text: "think " }, { text: "hard" }] }, meta);
    expect(completion.choices[0]!.message).toMatchObject({ reasoning_content: "think hard" });
  });
});

describe("OpenAI stream encoder", () => {
  test("a text stream is role-first chunks, a finish chunk and [DONE], byte for byte", () => {
    const text = encode([
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "usage", usage },
      { type: "finish", reason: "stop" },
    ]);
    const envelope =
      '"id":"chatcmpl-01JCALL","object":"chat.completion.chunk","created":1700000000,"model":"openai/gpt-4o-mini"';
    expect(text).toBe(
      `data: {${envelope},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: {${envelope},"choices":[{"index":0,"delta":{"content":"lo"},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: {${envelope},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}\n\n` +
        "data: [DONE]\n\n",
    );
  });

  test("the usage chunk with empty choices comes before [DONE] only when include_usage was asked", async () => {
    const without = jsonFrames(encode([{ type: "text", text: "Hi" }]));
    expect(without.some((f) => typeof f.json === "object" && "usage" in (f.json as object))).toBe(false);

    const text = encode(
      [{ type: "text", text: "Hi" }],
      chat({ stream: true, stream_options: { include_usage: true } }),
    );
    const frames = jsonFrames(text);
    expect(frames.at(-1)!.json).toBe("[DONE]");
    expect(frames.at(-2)!.json).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 104,
        completion_tokens: 12,
        total_tokens: 116,
        prompt_tokens_details: { cached_tokens: 20 },
      },
    });
    const { final } = await readOpenAIStream(text);
    expect(final.choices[0]!.message.content).toBe("Hi");
    expect(final.usage?.prompt_tokens).toBe(104);
  });

  test("tool-call fragments get dense indices, id and name on the first fragment only, and reassemble in the SDK", async () => {
    const text = encode(
      [
        { type: "text", text: "Let me check." },
        { type: "tool_call", index: 3, id: "call_a", name: "weather", argumentsDelta: "" },
        { type: "tool_call", index: 3, argumentsDelta: '{"city":' },
        { type: "tool_call", index: 3, argumentsDelta: '"Oslo"}' },
        { type: "tool_call", index: 7, id: "call_b", name: "time", argumentsDelta: '{"tz":"CET"}' },
      ],
      chat(),
      "tool_calls",
    );
    const deltas = jsonFrames(text)
      .slice(0, -1)
      .map((f) => (f.json as { choices: { delta: { tool_calls?: unknown[] } }[] }).choices[0]!.delta.tool_calls)
      .filter(Boolean);
    expect(deltas).toEqual([
      [{ index: 0, id: "call_a", type: "function", function: { name: "weather", arguments: "" } }],
      [{ index: 0, function: { arguments: '{"city":' } }],
      [{ index: 0, function: { arguments: '"Oslo"}' } }],
      [{ index: 1, id: "call_b", type: "function", function: { name: "time", arguments: '{"tz":"CET"}' } }],
    ]);
    const { final } = await readOpenAIStream(text);
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(final.choices[0]!.message.tool_calls).toEqual([
      { id: "call_a", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
      { id: "call_b", type: "function", function: { name: "time", arguments: '{"tz":"CET"}' } },
    ]);
  });

  test("a stream with no content still opens with the assistant role in its finish chunk", () => {
    const frames = jsonFrames(encode([]));
    expect(frames.map((f) => f.json)).toEqual([
      {
        id: "chatcmpl-01JCALL",
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model: "openai/gpt-4o-mini",
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: "stop" }],
      },
      "[DONE]",
    ]);
  });

  test("reasoning streams as reasoning_content deltas", () => {
    const frames = jsonFrames(
      encode([
        { type: "reasoning", text: "hmm" },
        { type: "reasoning", text: "", signature: "sig" },
      ]),
    );
    expect((frames[0]!.json as { choices: { delta: unknown }[] }).choices[0]!.delta).toEqual({
      role: "assistant",
      reasoning_content: "hmm",
    });
    expect(frames).toHaveLength(3);
  });

  test("a mid-stream error is one data frame in OpenAI's error shape, without [DONE], and the SDK throws it", async () => {
    const encoder = createOpenAIStreamEncoder(meta, chat());
    const text = encoder.chunk({ type: "text", text: "partial" }) + encoder.error(unavailable("openai is overloaded"));
    const frames = jsonFrames(text);
    expect(frames.at(-1)!.json).toEqual({
      error: { message: "openai is overloaded", type: "server_error", param: null, code: "unavailable" },
    });
    expect(text).not.toContain("[DONE]");
    const error = (await openAIStreamError(text)) as Error;
    expect(error.message).toContain("openai is overloaded");
  });

  test("open writes nothing and ping is an SSE comment", () => {
    const encoder = createOpenAIStreamEncoder(meta, chat());
    expect(encoder.open()).toBe("");
    expect(splitFrames(encoder.ping())).toEqual([{ comment: "ping" }]);
  });
});

describe("OpenAI embeddings, images and models", () => {
  test("embedding input becomes a list of strings; token arrays and empty lists are refused", () => {
    expect(fromOpenAIEmbeddings({ model: "openai/text-embedding-3-small", input: "hello", dimensions: 64 })).toEqual({
      model: "openai/text-embedding-3-small",
      input: ["hello"],
      dimensions: 64,
    });
    expect(thrownBy(() => fromOpenAIEmbeddings({ model: "m", input: [1, 2, 3] })).message).toBe(
      "input: token arrays are not supported; send text",
    );
    expect(thrownBy(() => fromOpenAIEmbeddings({ model: "m", input: [] })).message).toBe("input: must not be empty");
  });

  test("vectors render as a list, or as base64 float32 little-endian when the client asked for base64", () => {
    const result = { vectors: [[0.5, -1.25], [3]], usage: { inputTokens: 9 } };
    const embedMeta = { ...meta, model: "openai/text-embedding-3-small" };
    expect(toOpenAIEmbeddings(result, embedMeta)).toEqual({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [0.5, -1.25] },
        { object: "embedding", index: 1, embedding: [3] },
      ],
      model: "openai/text-embedding-3-small",
      usage: { prompt_tokens: 9, total_tokens: 9 },
    });
    const encoded = toOpenAIEmbeddings(result, embedMeta, { encoding_format: "base64" }).data[0]!.embedding as string;
    const bytes = Buffer.from(encoded, "base64");
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([0.5, -1.25]);
  });

  test("image requests default to one URL image and render as url or b64_json items", () => {
    expect(fromOpenAIImages({ model: "openai/dall-e-3", prompt: "a cat", size: "1024x1024" })).toEqual({
      model: "openai/dall-e-3",
      prompt: "a cat",
      n: 1,
      size: "1024x1024",
      quality: undefined,
      style: undefined,
      background: undefined,
      outputFormat: undefined,
      responseFormat: "url",
    });
    const images = toOpenAIImages(
      {
        images: [
          { kind: "url", url: "https://img/1.png" },
          { kind: "base64", data: PNG, mediaType: "image/png" },
        ],
      },
      meta,
    );
    expect(images).toEqual({ created: 1_700_000_000, data: [{ url: "https://img/1.png" }, { b64_json: PNG }] });
  });

  test("the model list renders as OpenAI's list of model objects owned by their provider", () => {
    expect(
      toOpenAIModelList([
        {
          id: "openai/gpt-4o-mini",
          provider: "openai",
          model: "gpt-4o-mini",
          type: "chat",
          maxOutputTokens: null,
          inputRate: "0.00000015",
          outputRate: "0.0000006",
          available: true,
          created: 1_700_000_000,
        },
      ]),
    ).toEqual({
      object: "list",
      data: [{ id: "openai/gpt-4o-mini", object: "model", created: 1_700_000_000, owned_by: "openai" }],
    });
  });
});

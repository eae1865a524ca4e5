import { describe, expect, test } from "bun:test";
import type { AigneChatBody } from "../../../src/server/routes/aigne/schemas";
import {
  createAigneStreamEncoder,
  fromAigneChat,
  fromAigneEmbeddings,
  fromAigneImage,
  toAigneChat,
  toAigneEmbeddings,
  toAigneImage,
  toAigneModelList,
} from "../../../src/server/routes/aigne/translate";
import type { ChatChunk, ChatResult, Usage } from "../../../src/server/services/gateway/types";
import { AppError } from "../../../src/shared/errors";
import { jsonFrames, readAigneStream, splitFrames, thrownBy } from "./readers";

const meta = { id: "01JCALL", model: "openai/gpt-4o-mini", created: 1_700_000_000 };
const billed = { ...meta, credits: "0.000041", creditPrefix: "$" as const };
const vectorUsage: Usage = { inputTokens: 11, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0 };
const PNG = "iVBORw0KGgoAAAANSUhEUg==";

const chat = (input: Partial<AigneChatBody["input"]> = {}, extra: Partial<AigneChatBody> = {}): AigneChatBody => ({
  input: { messages: [{ role: "user", content: "hi" }], modelOptions: { model: "openai/gpt-4o-mini" }, ...input },
  agent: "$CHAT_MODEL",
  options: { streaming: true },
  ...extra,
});

const jsonSchema = { type: "json_schema" as const, jsonSchema: { name: "out", schema: { type: "object" } } };

/** Encodes a whole stream; pass `credits` to end it as a billed call. */
function encode(
  chunks: ChatChunk[],
  {
    body = chat(),
    usage = vectorUsage,
    credits,
    streamMeta = billed,
  }: { body?: AigneChatBody; usage?: Usage; credits?: string; streamMeta?: typeof meta } = {},
) {
  const encoder = createAigneStreamEncoder(streamMeta, body);
  return (
    encoder.open() +
    chunks.map((c) => encoder.chunk(c)).join("") +
    encoder.end({ usage, finishReason: "stop", credits })
  );
}

describe("AIGNE chat request translation", () => {
  test("agent turns are assistant turns, object tool arguments become JSON text, tool turns keep toolCallId", () => {
    const request = fromAigneChat(
      chat({
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: [{ type: "text", text: "weather in Oslo?" }] },
          {
            role: "agent",
            toolCalls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: { city: "Oslo" } } }],
          },
          { role: "tool", toolCallId: "call_1", content: "temp: 3\nsky: clear" },
        ],
      }),
    );
    expect(request.messages).toEqual([
      { role: "system", content: [{ type: "text", text: "be brief" }] },
      { role: "user", content: [{ type: "text", text: "weather in Oslo?" }] },
      { role: "assistant", content: [], toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' }] },
      { role: "tool", content: [{ type: "text", text: "temp: 3\nsky: clear" }], toolCallId: "call_1" },
    ]);
  });

  test("url and file parts become image or file parts; a file without mimeType is recognised by its bytes", () => {
    const request = fromAigneChat(
      chat({
        messages: [
          {
            role: "user",
            content: [
              { type: "url", url: "https://example.com/cat.png", mimeType: "image/png" },
              { type: "url", url: `data:image/png;base64,${PNG}` },
              { type: "file", data: "JVBERi0x", mimeType: "application/pdf", filename: "a.pdf" },
              { type: "file", data: PNG },
            ],
            cacheControl: { type: "ephemeral", ttl: "1h" },
          },
        ],
      }),
    );
    expect(request.messages[0]!.content).toEqual([
      { type: "image", source: { kind: "url", url: "https://example.com/cat.png" } },
      { type: "image", source: { kind: "base64", mediaType: "image/png", data: PNG } },
      { type: "file", mediaType: "application/pdf", data: "JVBERi0x", filename: "a.pdf" },
      {
        type: "image",
        source: { kind: "base64", mediaType: "image/png", data: PNG },
        cacheControl: { type: "ephemeral", ttl: "1h" },
      },
    ]);
  });

  test("tools, the tool-object toolChoice, json_schema and modelOptions map onto the canonical fields", () => {
    const weather = { type: "function" as const, function: { name: "weather", parameters: { type: "object" } } };
    const request = fromAigneChat(
      chat({
        tools: [weather],
        toolChoice: weather,
        responseFormat: { type: "json_schema", jsonSchema: { name: "out", schema: { type: "object" }, strict: true } },
        modelOptions: {
          model: "anthropic/claude-sonnet-4",
          temperature: 0.2,
          topP: 0.9,
          frequencyPenalty: 0.1,
          presencePenalty: 0.3,
          parallelToolCalls: false,
          reasoningEffort: 4096,
          maxTokens: 500,
        },
      }),
    );
    expect(request).toMatchObject({
      model: "anthropic/claude-sonnet-4",
      tools: [{ name: "weather", parameters: { type: "object" } }],
      toolChoice: { name: "weather" },
      responseFormat: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true },
      temperature: 0.2,
      topP: 0.9,
      frequencyPenalty: 0.1,
      presencePenalty: 0.3,
      parallelToolCalls: false,
      reasoningEffort: 4096,
      maxTokens: 500,
    });
    expect(fromAigneChat(chat({ toolChoice: "required" })).toolChoice).toBe("required");
  });

  test("cache breakpoints follow the AIGNE defaults unless the config turns them off or goes manual", () => {
    const breakpoints = (cacheConfig?: object) =>
      fromAigneChat(chat({ modelOptions: { model: "m", ...(cacheConfig && { cacheConfig }) } })).cacheBreakpoints;
    expect(breakpoints()).toEqual({ tools: true, system: true, lastMessage: false });
    expect(breakpoints({ autoBreakpoints: { lastMessage: true, tools: false } })).toEqual({
      tools: false,
      system: true,
      lastMessage: true,
    });
    expect(breakpoints({ strategy: "manual" })).toBeUndefined();
    expect(breakpoints({ enabled: false })).toBeUndefined();
  });

  test("the model comes from modelOptions, else the top-level model, else the hub default, else it is required", () => {
    expect(fromAigneChat(chat({ modelOptions: {} }, { model: "openai/gpt-4o" })).model).toBe("openai/gpt-4o");
    expect(fromAigneChat(chat({ modelOptions: undefined }), { defaultModel: "openai/gpt-5-mini" }).model).toBe(
      "openai/gpt-5-mini",
    );
    const error = thrownBy(() => fromAigneChat(chat({ modelOptions: undefined })));
    expect([error.status, error.message]).toEqual([400, "input.modelOptions.model: required"]);
  });

  test("malformed-but-typed messages are refused, naming the field", () => {
    const message = (messages: AigneChatBody["input"]["messages"]) =>
      thrownBy(() => fromAigneChat(chat({ messages }))).message;
    expect(message([{ role: "tool", content: "x" }])).toBe("input.messages[0].toolCallId: required on tool messages");
    expect(message([{ role: "user", content: [{ type: "file", data: "not base64!", mimeType: "image/png" }] }])).toBe(
      "input.messages[0].content[0].data: not valid base64 data",
    );
    expect(
      message([{ role: "user", content: [{ type: "url", url: "https://x/a.pdf", mimeType: "application/pdf" }] }]),
    ).toBe("input.messages[0].content[0].url: only image URLs are supported; send other files as file parts");
    expect(
      message([
        { role: "agent", toolCalls: [{ id: "c", type: "function", function: { name: "f", arguments: "{bad" } }] },
      ]),
    ).toBe("input.messages[0].toolCalls[0].function.arguments: not valid JSON");
  });
});

describe("AIGNE chat output rendering", () => {
  const result: ChatResult = { text: "Hello world", toolCalls: [], finishReason: "stop", usage: vectorUsage };

  test("the §6.5 example answer is reproduced byte for byte", () => {
    expect(JSON.stringify(toAigneChat(result, billed, chat()))).toBe(
      '{"text":"Hello world","model":"openai/gpt-4o-mini","usage":{"inputTokens":11,"outputTokens":3,"aigneHubCredits":0.000041,"creditPrefix":"$"}}',
    );
  });

  test("input tokens include cache reads and writes, cache counts are echoed, credits only when billed", () => {
    const output = toAigneChat(
      { ...result, usage: { inputTokens: 80, outputTokens: 12, cacheReadTokens: 20, cacheWriteTokens: 4 } },
      meta,
      chat(),
    );
    expect(output.usage).toEqual({
      inputTokens: 104,
      outputTokens: 12,
      cacheCreationInputTokens: 4,
      cacheReadInputTokens: 20,
    });
    expect("aigneHubCredits" in output.usage).toBe(false);
  });

  test("tool calls carry object arguments and reasoning becomes thoughts", () => {
    const output = toAigneChat(
      {
        ...result,
        text: "",
        reasoning: [{ text: "need " }, { text: "weather" }],
        toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Oslo"}' }],
        finishReason: "tool_calls",
      },
      meta,
      chat({ responseFormat: jsonSchema }),
    );
    expect(output).toEqual({
      text: "",
      thoughts: "need weather",
      toolCalls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: { city: "Oslo" } } }],
      model: "openai/gpt-4o-mini",
      usage: { inputTokens: 11, outputTokens: 3 },
    });
  });

  test("a json_schema answer is returned as the json object, fenced or not; unparsable text stays text", () => {
    const body = chat({ responseFormat: jsonSchema });
    expect(toAigneChat({ ...result, text: '{"city":"Oslo"}' }, meta, body)).toEqual({
      json: { city: "Oslo" },
      model: "openai/gpt-4o-mini",
      usage: { inputTokens: 11, outputTokens: 3 },
    });
    expect(toAigneChat({ ...result, text: '```json\n{"a":1}\n```' }, meta, body).json).toEqual({ a: 1 });
    expect(toAigneChat({ ...result, text: "sorry, no" }, meta, body)).toMatchObject({
      text: "sorry, no",
      json: undefined,
    });
  });
});

describe("AIGNE stream encoder", () => {
  test("the §6.6 example stream is reproduced byte for byte and merges as the client merges it", async () => {
    const text = encode(
      [
        { type: "text", text: "Hello" },
        { type: "text", text: " world" },
        { type: "usage", usage: vectorUsage },
        { type: "finish", reason: "stop" },
      ],
      { credits: billed.credits },
    );
    expect(text).toBe(
      'data: {"delta":{"json":{"model":"openai/gpt-4o-mini"}}}\n\n' +
        'data: {"delta":{"text":{"text":"Hello"}}}\n\n' +
        'data: {"delta":{"text":{"text":" world"}}}\n\n' +
        'data: {"delta":{"json":{"usage":{"inputTokens":11,"outputTokens":3,"aigneHubCredits":0.000041,"creditPrefix":"$"}}}}\n\n',
    );
    expect(await readAigneStream(text)).toEqual({
      model: "openai/gpt-4o-mini",
      text: "Hello world",
      usage: { inputTokens: 11, outputTokens: 3, aigneHubCredits: 0.000041, creditPrefix: "$" },
    });
  });

  test("open can be written before upstream answers, and carries only the served model", () => {
    const encoder = createAigneStreamEncoder(meta, chat());
    expect(jsonFrames(encoder.open())).toEqual([
      { event: undefined, json: { delta: { json: { model: meta.model } } } },
    ]);
  });

  test("tool-call fragments are collected and sent once, complete, with object arguments", async () => {
    const text = encode([
      { type: "reasoning", text: "need tools" },
      { type: "tool_call", index: 5, id: "call_a", name: "weather", argumentsDelta: '{"ci' },
      { type: "tool_call", index: 9, id: "call_b", name: "time", argumentsDelta: "" },
      { type: "tool_call", index: 5, argumentsDelta: 'ty":"Oslo"}' },
    ]);
    const frames = jsonFrames(text).map((f) => f.json);
    expect(frames).toEqual([
      { delta: { json: { model: "openai/gpt-4o-mini" } } },
      { delta: { text: { thoughts: "need tools" } } },
      {
        delta: {
          json: {
            toolCalls: [
              { id: "call_a", type: "function", function: { name: "weather", arguments: { city: "Oslo" } } },
              { id: "call_b", type: "function", function: { name: "time", arguments: {} } },
            ],
          },
        },
      },
      { delta: { json: { usage: { inputTokens: 11, outputTokens: 3 } } } },
    ]);
    const merged = await readAigneStream(text);
    expect(merged.thoughts).toBe("need tools");
    expect(merged.toolCalls).toHaveLength(2);
    expect(merged.usage).toEqual({ inputTokens: 11, outputTokens: 3 });
  });

  test("a json_schema stream sends no text, then the parsed object as json", async () => {
    const text = encode(
      [
        { type: "text", text: '{"city":' },
        { type: "text", text: '"Oslo"}' },
      ],
      { body: chat({ responseFormat: jsonSchema }), credits: billed.credits },
    );
    expect(jsonFrames(text).map((f) => f.json)).toEqual([
      { delta: { json: { model: "openai/gpt-4o-mini" } } },
      { delta: { json: { json: { city: "Oslo" } } } },
      {
        delta: { json: { usage: { inputTokens: 11, outputTokens: 3, aigneHubCredits: 0.000041, creditPrefix: "$" } } },
      },
    ]);
    const merged = await readAigneStream(text);
    expect(merged.json).toEqual({ city: "Oslo" });
    expect("text" in merged).toBe(false);
  });

  test("a json_schema stream whose text does not parse sends it as text so the client's retry can act", () => {
    const frames = jsonFrames(
      encode([{ type: "text", text: "no json" }], { body: chat({ responseFormat: jsonSchema }) }),
    );
    expect(frames[1]!.json).toEqual({ delta: { text: { text: "no json" } } });
  });

  test("usage counts cache in inputTokens and carries credits as a number only when billed", () => {
    const usage: Usage = { inputTokens: 80, outputTokens: 12, cacheReadTokens: 20, cacheWriteTokens: 4 };
    const last = (credits?: string) => jsonFrames(encode([], { usage, credits, streamMeta: meta })).at(-1)!.json;
    expect(last("1.5")).toEqual({
      delta: {
        json: {
          usage: {
            inputTokens: 104,
            outputTokens: 12,
            cacheCreationInputTokens: 4,
            cacheReadInputTokens: 20,
            aigneHubCredits: 1.5,
          },
        },
      },
    });
    expect(last(undefined)).toEqual({
      delta: {
        json: { usage: { inputTokens: 104, outputTokens: 12, cacheCreationInputTokens: 4, cacheReadInputTokens: 20 } },
      },
    });
  });

  test("the only named event is error, there is no [DONE], and the client throws the error message", async () => {
    const encoder = createAigneStreamEncoder(meta, chat());
    const text =
      encoder.open() +
      encoder.ping() +
      encoder.chunk({ type: "text", text: "par" }) +
      encoder.error(new AppError("upstream_error", 502, "openai service is temporarily unavailable"));
    const frames = splitFrames(text);
    expect(frames.filter((f) => f.event !== undefined)).toEqual([
      { event: "error", data: '{"message":"openai service is temporarily unavailable"}' },
    ]);
    expect(frames[1]).toEqual({ comment: "ping" });
    expect(text).not.toContain("[DONE]");
    await expect(readAigneStream(text)).rejects.toThrow("openai service is temporarily unavailable");
    const whole = encode([{ type: "text", text: "ok" }]);
    expect(splitFrames(whole).every((f) => f.event === undefined && f.data !== undefined)).toBe(true);
    expect(whole).not.toContain("[DONE]");
  });
});

describe("AIGNE embeddings, image and model list", () => {
  test("both embeddings body forms translate, and a missing model names the field of that form", () => {
    expect(
      fromAigneEmbeddings({ input: { input: "hi", modelOptions: { model: "openai/text-embedding-3-small" } } }),
    ).toEqual({ model: "openai/text-embedding-3-small", input: ["hi"], dimensions: undefined });
    expect(fromAigneEmbeddings({ model: "openai/text-embedding-3-small", input: ["a", "b"], dimensions: 8 })).toEqual({
      model: "openai/text-embedding-3-small",
      input: ["a", "b"],
      dimensions: 8,
    });
    expect(thrownBy(() => fromAigneEmbeddings({ input: { input: "hi" } })).message).toBe(
      "input.modelOptions.model: required",
    );
    expect(thrownBy(() => fromAigneEmbeddings({ input: "hi" })).message).toBe("model: required");
    expect(thrownBy(() => fromAigneEmbeddings({ model: "m", input: [] })).message).toBe("input: must not be empty");
  });

  test("embeddings answer in the OpenAI shape with both usage spellings and credits when billed", () => {
    expect(toAigneEmbeddings({ vectors: [[0.5]], usage: { inputTokens: 3 } }, { ...meta, credits: "0.01" })).toEqual({
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [0.5] }],
      model: "openai/gpt-4o-mini",
      usage: { prompt_tokens: 3, total_tokens: 3, promptTokens: 3, totalTokens: 3, aigneHubCredits: 0.01 },
    });
  });

  test("image input takes extras from input before modelOptions, and refuses edits", () => {
    expect(
      fromAigneImage({
        input: {
          prompt: "a cat",
          n: 2,
          size: "1024x1024",
          outputFileType: "url",
          modelOptions: { model: "openai/gpt-image-1", size: "512x512", quality: "high" },
        },
      }),
    ).toEqual({
      model: "openai/gpt-image-1",
      prompt: "a cat",
      n: 2,
      size: "1024x1024",
      quality: "high",
      style: undefined,
      background: undefined,
      outputFormat: undefined,
      responseFormat: "b64_json",
    });
    expect(
      thrownBy(() => fromAigneImage({ input: { prompt: "x", image: [{}], modelOptions: { model: "m" } } })).message,
    ).toBe("input.image: image edits are not supported");
  });

  test("images render as url or file parts with a mime type, usage and credits", () => {
    expect(
      toAigneImage(
        {
          images: [
            { kind: "url", url: "https://cdn/x.webp?sig=1" },
            { kind: "base64", data: PNG, mediaType: "image/png" },
          ],
          usage: { inputTokens: 7, outputTokens: 2 },
        },
        { ...meta, model: "openai/gpt-image-1", credits: "0.08" },
      ),
    ).toEqual({
      images: [
        { type: "url", url: "https://cdn/x.webp?sig=1", mimeType: "image/webp" },
        { type: "file", data: PNG, mimeType: "image/png" },
      ],
      usage: { inputTokens: 7, outputTokens: 2, aigneHubCredits: 0.08 },
      model: "openai/gpt-image-1",
    });
  });

  test("model list items match the client's schema: string rates, metadata, display name, status object", () => {
    expect(
      toAigneModelList([
        {
          id: "openai/gpt-4o-mini",
          provider: "openai",
          model: "gpt-4o-mini",
          type: "chat",
          inputRate: "0.00000015",
          outputRate: "0.0000006",
          maxOutputTokens: 16384,
          available: true,
          created: 1_700_000_000,
        },
        {
          id: "acme/x",
          provider: "acme",
          model: "x",
          type: "image",
          inputRate: "0",
          outputRate: "0.04",
          maxOutputTokens: null,
          available: false,
          created: 1_700_000_000,
        },
      ]),
    ).toEqual([
      {
        model: "openai/gpt-4o-mini",
        type: "chat",
        provider: "openai",
        input_credits_per_token: "0.00000015",
        output_credits_per_token: "0.0000006",
        modelMetadata: { maxTokens: 16384 },
        providerDisplayName: "OpenAI",
        status: { available: true },
      },
      {
        model: "acme/x",
        type: "image",
        provider: "acme",
        input_credits_per_token: "0",
        output_credits_per_token: "0.04",
        modelMetadata: {},
        providerDisplayName: "acme",
        status: { available: false },
      },
    ]);
  });
});

/**
 * @module The one upstream mock: a Bun.serve on 127.0.0.1:0 that speaks OpenAI, Anthropic and Gemini wire over real
 * HTTP, records every request and answers from a per-test script.
 *
 * Start it, point a provider (or `admin provider set --base-url`) at one of its bases, script the replies, inspect:
 *
 *   const mock = await startMockUpstream();
 *   mock.setScript({ text: "Hello world", chunks: 2, usage: { input: 11, output: 3, cacheRead: 4 } }); // every call
 *   mock.setScript([{ status: 429, retryAfter: 7 }, { text: "ok" }]);       // a queue, then the default reply
 *   mock.setScript((req) => (req.apiKey === "key-a" ? { status: 429 } : { text: "from B" }));  // per request
 *   mock.setScript(byApiKey({ "key-a": { status: 401 } }, { text: "fallback" }));            // the same, shorter
 *   // bases: mock.openaiBase (`${url}/v1`), mock.anthropicBase and mock.geminiBase (the origin)
 *   expect(mock.requests[0]?.body.model).toBe("gpt-4o-mini");
 *   mock.setScript({ hang: true }); … abort the client … await mock.waitForAbort(0);
 *   mock.reset(); await mock.stop();
 *
 * Routes: OpenAI `POST /v1/chat/completions` (JSON, or SSE ending in a usage chunk when `stream_options.include_usage`
 * and `data: [DONE]`), `/v1/embeddings`, `/v1/images/generations`, `GET /v1/models`; Anthropic `POST /v1/messages`
 * (JSON or its named SSE events), `GET /v1/models` when the request carries `x-api-key` or `anthropic-version`;
 * Gemini `POST /v1beta/models/{m}:generateContent`, `:streamGenerateContent?alt=sse`, `:batchEmbedContents`,
 * `:predict`, `GET /v1beta/models`. Usage defaults to about four characters per token of prompt and answer.
 */
import type { Server } from "bun";

/** Which upstream dialect a request spoke. */
export type MockFamily = "openai" | "anthropic" | "gemini";
/** What a request asked for. */
export type MockEndpoint = "chat" | "embeddings" | "images" | "models";

/** One recorded upstream request. */
export interface MockRequest {
  /** Position in `mock.requests` (and the argument of `waitForAbort`). */
  index: number;
  family: MockFamily;
  endpoint: MockEndpoint;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary upstream JSON without casts.
  body: any;
  /** The model from the body, or from the path for Gemini. */
  model: string | undefined;
  stream: boolean;
  /** The credential presented: a Bearer token, `x-api-key` or `x-goog-api-key` (never the `key` query). */
  apiKey: string | undefined;
  /** When the request arrived (epoch ms). */
  time: number;
  /** The client went away before the reply was complete. */
  aborted: boolean;
}

/** Token counts in canonical terms: `input` excludes cache reads and writes, `output` includes `reasoning`. */
export interface MockUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

/** A tool call the mock makes; `arguments` may be JSON text or an object. */
export interface MockToolCall {
  id?: string;
  name: string;
  arguments: string | Record<string, unknown>;
}

/** What the mock answers to one request; every field is optional and unrelated fields are ignored. */
export interface MockReply {
  /** Answer text (default "Hello from the mock upstream."); streamed in `chunks` pieces (default 3). */
  text?: string;
  chunks?: number;
  /** Reasoning text, streamed before the answer (`reasoning_content`, thinking blocks, thought parts). */
  reasoning?: string;
  toolCalls?: MockToolCall[];
  /** A JSON answer: the text for OpenAI/Gemini, the forced tool's input for Anthropic. */
  json?: unknown;
  usage?: Partial<MockUsage>;
  /** Send no usage in a stream (the openai-compatible case). */
  omitUsage?: boolean;
  finishReason?: "stop" | "length" | "tool_calls" | "content_filter";
  /** The model id the reply reports (default: the requested one). */
  model?: string;
  /** An HTTP error status; `error` shapes its body in the family's format unless `error.body` replaces it. */
  status?: number;
  error?: { message?: string; type?: string; body?: unknown };
  /** Sent as the `Retry-After` header (seconds or an HTTP date). */
  retryAfter?: number | string;
  headers?: Record<string, string>;
  /** Never answer; the request ends only when the client aborts. */
  hang?: boolean;
  /** Wait this long before sending the response headers. */
  firstByteDelayMs?: number;
  /** Wait this long before each stream frame. */
  chunkDelayMs?: number;
  /** Drop the connection after this many content frames, before the finish and usage frames. */
  cutAfterChunks?: number;
  /** Send an in-stream error frame after `afterChunks` content frames (default: all of them), then close. */
  streamError?: { type?: string; message?: string; afterChunks?: number };
  embeddings?: number[][];
  images?: ({ url: string } | { b64: string })[];
  models?: string[];
}

/** A fixed reply, a queue of replies (then the default), or a function of the request. */
export type MockScript = MockReply | MockReply[] | ((request: MockRequest) => MockReply | Promise<MockReply>);

/** A running mock upstream. */
export interface MockUpstream {
  /** The origin, `http://127.0.0.1:<port>`. */
  url: string;
  /** `${url}/v1`, what the OpenAI SDK takes as its base URL. */
  openaiBase: string;
  /** The origin, as the Anthropic SDK takes it. */
  anthropicBase: string;
  /** The origin; requests go to `/v1beta/models/…`. */
  geminiBase: string;
  /** Every request so far, in arrival order (the same array across `reset`). */
  requests: MockRequest[];
  /** Replaces the script; replies already queued are dropped. */
  setScript(script: MockScript): void;
  /** Forgets recorded requests and the script. */
  reset(): void;
  /** Resolves with request `index` once it has arrived. */
  waitForRequest(index: number, timeoutMs?: number): Promise<MockRequest>;
  /** Resolves with request `index` once its client has aborted it. */
  waitForAbort(index: number, timeoutMs?: number): Promise<MockRequest>;
  /** Closes the server and every open connection. */
  stop(): Promise<void>;
}

/** Builds a script that answers by the presented API key, with `fallback` for any other key. */
export function byApiKey(replies: Record<string, MockReply>, fallback: MockReply = {}): MockScript {
  return (request) => replies[request.apiKey ?? ""] ?? fallback;
}

const DEFAULT_TEXT = "Hello from the mock upstream.";
const TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/** Starts the mock on 127.0.0.1 and a free port. */
export async function startMockUpstream(options: { script?: MockScript } = {}): Promise<MockUpstream> {
  const requests: MockRequest[] = [];
  let script: MockScript = options.script ?? {};
  let queue: MockReply[] = [];
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };

  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: async function answer(req) {
      const url = new URL(req.url);
      const route = routeOf(req.method, url.pathname, req.headers);
      if (!route)
        return Response.json({ error: { message: `mock upstream has no route ${url.pathname}` } }, { status: 404 });
      const body = req.method === "POST" ? await req.json().catch(() => undefined) : undefined;
      const record: MockRequest = {
        index: requests.length,
        family: route.family,
        endpoint: route.endpoint,
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(req.headers),
        body,
        model: route.model ?? body?.model,
        stream: route.stream ?? body?.stream === true,
        apiKey: presentedKey(req.headers),
        time: Date.now(),
        aborted: false,
      };
      const markAborted = () => {
        record.aborted = true;
        changed();
      };
      req.signal.addEventListener("abort", markAborted, { once: true });
      requests.push(record);
      changed();
      const reply = await nextReply(record);
      if (reply.firstByteDelayMs) await sleep(reply.firstByteDelayMs, req.signal);
      if (reply.hang) {
        await sleep(Number.POSITIVE_INFINITY, req.signal);
        return new Response(null, { status: 499 });
      }
      if (reply.status && reply.status >= 400) return errorResponse(route.family, reply);
      return replyFor(record, reply, { origin: url.origin, onCancel: markAborted });
    },
  });

  async function nextReply(request: MockRequest): Promise<MockReply> {
    if (typeof script === "function") return script(request);
    if (Array.isArray(script)) {
      queue = script;
      script = {};
    }
    return queue.shift() ?? script;
  }

  function waitFor(check: () => MockRequest | undefined, timeoutMs: number, what: string): Promise<MockRequest> {
    return new Promise((resolve, reject) => {
      const listener = () => {
        const found = check();
        if (!found) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(found);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`mock upstream: ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      listeners.add(listener);
      listener();
    });
  }

  const origin = `http://127.0.0.1:${server.port}`;
  return {
    url: origin,
    openaiBase: `${origin}/v1`,
    anthropicBase: origin,
    geminiBase: origin,
    requests,
    setScript(next) {
      script = next;
      queue = [];
    },
    reset() {
      requests.length = 0;
      script = {};
      queue = [];
    },
    waitForRequest: (index, timeoutMs = 2000) =>
      waitFor(() => requests[index], timeoutMs, `request ${index} did not arrive`),
    waitForAbort: (index, timeoutMs = 2000) =>
      waitFor(
        () => (requests[index]?.aborted ? requests[index] : undefined),
        timeoutMs,
        `request ${index} was not aborted`,
      ),
    async stop() {
      await server.stop(true);
    },
  };
}

interface Route {
  family: MockFamily;
  endpoint: MockEndpoint;
  model?: string;
  stream?: boolean;
}

const GEMINI_METHODS: Record<string, Pick<Route, "endpoint" | "stream">> = {
  generateContent: { endpoint: "chat", stream: false },
  streamGenerateContent: { endpoint: "chat", stream: true },
  batchEmbedContents: { endpoint: "embeddings", stream: false },
  predict: { endpoint: "images", stream: false },
};

function routeOf(method: string, path: string, headers: Headers): Route | undefined {
  if (method === "GET" && path === "/v1/models") {
    const anthropic = headers.has("x-api-key") || headers.has("anthropic-version");
    return { family: anthropic ? "anthropic" : "openai", endpoint: "models" };
  }
  if (method === "GET" && path === "/v1beta/models") return { family: "gemini", endpoint: "models" };
  if (method !== "POST") return undefined;
  if (path === "/v1/chat/completions") return { family: "openai", endpoint: "chat" };
  if (path === "/v1/embeddings") return { family: "openai", endpoint: "embeddings" };
  if (path === "/v1/images/generations") return { family: "openai", endpoint: "images" };
  if (path === "/v1/messages") return { family: "anthropic", endpoint: "chat" };
  const gemini = /^\/v1beta\/models\/([^:]+):(\w+)$/.exec(path);
  const geminiMethod = gemini && GEMINI_METHODS[gemini[2]!];
  return geminiMethod ? { family: "gemini", model: gemini[1], ...geminiMethod } : undefined;
}

function presentedKey(headers: Headers): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get("authorization") ?? "")?.[1];
  return bearer ?? headers.get("x-api-key") ?? headers.get("x-goog-api-key") ?? undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = Number.isFinite(ms) ? setTimeout(resolve, ms) : undefined;
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const STATUS_NAMES: Record<number, { openai: string; anthropic: string; gemini: string }> = {
  400: { openai: "invalid_request_error", anthropic: "invalid_request_error", gemini: "INVALID_ARGUMENT" },
  401: { openai: "invalid_api_key", anthropic: "authentication_error", gemini: "UNAUTHENTICATED" },
  402: { openai: "insufficient_quota", anthropic: "billing_error", gemini: "FAILED_PRECONDITION" },
  403: { openai: "permission_error", anthropic: "permission_error", gemini: "PERMISSION_DENIED" },
  404: { openai: "model_not_found", anthropic: "not_found_error", gemini: "NOT_FOUND" },
  429: { openai: "rate_limit_exceeded", anthropic: "rate_limit_error", gemini: "RESOURCE_EXHAUSTED" },
  500: { openai: "server_error", anthropic: "api_error", gemini: "INTERNAL" },
  503: { openai: "server_error", anthropic: "overloaded_error", gemini: "UNAVAILABLE" },
  529: { openai: "server_error", anthropic: "overloaded_error", gemini: "UNAVAILABLE" },
};

function errorResponse(family: MockFamily, reply: MockReply): Response {
  const status = reply.status ?? 500;
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.retryAfter !== undefined) headers["retry-after"] = String(reply.retryAfter);
  const body = reply.error?.body ?? errorBody(family, status, reply.error);
  return typeof body === "string" ? new Response(body, { status, headers }) : Response.json(body, { status, headers });
}

function errorBody(family: MockFamily, status: number, error: MockReply["error"] = {}) {
  const names = STATUS_NAMES[status] ?? STATUS_NAMES[status >= 500 ? 500 : 400]!;
  const message = error.message ?? `mock upstream error ${status}`;
  if (family === "anthropic") return { type: "error", error: { type: error.type ?? names.anthropic, message } };
  if (family === "gemini") return { error: { code: status, message, status: error.type ?? names.gemini } };
  return { error: { message, type: error.type ?? names.openai, param: null, code: error.type ?? names.openai } };
}

/** The reply after defaults: what text, calls and usage the mock will send. */
interface Answer {
  text: string;
  pieces: string[];
  reasoning: string;
  toolCalls: { id: string | undefined; name: string; arguments: string }[];
  usage: MockUsage;
  finish: NonNullable<MockReply["finishReason"]>;
  model: string;
  /** Anthropic: the forced tool that carries a JSON answer. */
  jsonTool?: string;
}

function answerOf(request: MockRequest, reply: MockReply): Answer {
  const jsonTool = request.family === "anthropic" && reply.json !== undefined ? forcedTool(request.body) : undefined;
  const text = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? DEFAULT_TEXT);
  const reasoning = reply.reasoning ?? "";
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({
    id: call.id,
    name: call.name,
    arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
  }));
  const prompt = JSON.stringify(request.body?.messages ?? request.body?.contents ?? "");
  const generated = text.length + reasoning.length + toolCalls.reduce((sum, call) => sum + call.arguments.length, 0);
  const reasoningTokens = reply.usage?.reasoning ?? Math.ceil(reasoning.length / 4);
  const usage: MockUsage = {
    input: Math.max(1, Math.ceil(prompt.length / 4)),
    output: Math.ceil(generated / 4),
    cacheRead: 0,
    cacheWrite: 0,
    ...reply.usage,
    reasoning: reasoningTokens,
  };
  return {
    text,
    pieces: splitText(text, reply.chunks ?? 3),
    reasoning,
    toolCalls,
    usage,
    finish: reply.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    model: reply.model ?? request.model ?? "mock-model",
    jsonTool,
  };
}

function forcedTool(body: { tool_choice?: { type?: string; name?: string } } | undefined): string | undefined {
  return body?.tool_choice?.type === "tool" ? body.tool_choice.name : undefined;
}

function splitText(text: string, chunks: number): string[] {
  if (!text) return [];
  const size = Math.ceil(text.length / Math.max(1, Math.min(chunks, text.length)));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

function halves(text: string): string[] {
  const middle = Math.ceil(text.length / 2);
  return text.length < 2 ? [text] : [text.slice(0, middle), text.slice(middle)];
}

function replyFor(request: MockRequest, reply: MockReply, context: { origin: string; onCancel: () => void }): Response {
  const headers = reply.headers ?? {};
  switch (request.endpoint) {
    case "models":
      return Response.json(modelList(request.family, reply.models ?? ["mock-model", "mock-model-large"]), { headers });
    case "embeddings":
      return Response.json(embeddingsBody(request, reply), { headers });
    case "images":
      return Response.json(imagesBody(request, reply, context.origin), { headers });
    case "chat": {
      const answer = answerOf(request, reply);
      if (!request.stream) return Response.json(CHAT_BODIES[request.family](answer, request), { headers });
      const frames = STREAM_FRAMES[request.family](answer, request, reply);
      return sseResponse(frames, reply, request.family, context.onCancel);
    }
  }
}

function modelList(family: MockFamily, ids: string[]) {
  if (family === "anthropic") {
    const data = ids.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" }));
    return { data, has_more: false, first_id: ids[0] ?? null, last_id: ids.at(-1) ?? null };
  }
  if (family === "gemini") {
    return {
      models: ids.map((id) => ({
        name: `models/${id}`,
        displayName: id,
        supportedGenerationMethods: ["generateContent"],
      })),
    };
  }
  return { object: "list", data: ids.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "mock" })) };
}

function embeddingsBody(request: MockRequest, reply: MockReply) {
  const inputs: string[] =
    request.family === "gemini"
      ? (request.body?.requests ?? []).map(
          (item: { content?: { parts?: { text?: string }[] } }) => item.content?.parts?.[0]?.text ?? "",
        )
      : [request.body?.input ?? []].flat();
  const vectors = inputs.map((text, index) => reply.embeddings?.[index] ?? [text.length, index, 0.5]);
  if (request.family === "gemini") return { embeddings: vectors.map((values) => ({ values })) };
  const tokens = inputs.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
  return {
    object: "list",
    data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })),
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function imagesBody(request: MockRequest, reply: MockReply, origin: string) {
  const count = request.family === "gemini" ? (request.body?.parameters?.sampleCount ?? 1) : (request.body?.n ?? 1);
  const base64 = request.family === "gemini" || request.body?.response_format !== "url";
  const images =
    reply.images ??
    Array.from({ length: count }, (_, index) =>
      base64 ? { b64: TINY_PNG } : { url: `${origin}/files/mock-image-${index}.png` },
    );
  if (request.family === "gemini") {
    return {
      predictions: images.map((image) => ({
        bytesBase64Encoded: "b64" in image ? image.b64 : "",
        mimeType: "image/png",
      })),
    };
  }
  return {
    created: Math.floor(Date.now() / 1000),
    data: images.map((image) => ("b64" in image ? { b64_json: image.b64 } : { url: image.url })),
    usage: {
      input_tokens: Math.ceil(String(request.body?.prompt ?? "").length / 4),
      output_tokens: 100 * count,
      total_tokens: 0,
    },
  };
}

const OPENAI_FINISH = { stop: "stop", length: "length", tool_calls: "tool_calls", content_filter: "content_filter" };
const ANTHROPIC_STOP = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", content_filter: "refusal" };
const GEMINI_FINISH = { stop: "STOP", length: "MAX_TOKENS", tool_calls: "STOP", content_filter: "SAFETY" };

function openaiUsage(usage: MockUsage) {
  const prompt = usage.input + usage.cacheRead;
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.output,
    total_tokens: prompt + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cacheRead },
    completion_tokens_details: { reasoning_tokens: usage.reasoning },
  };
}

function anthropicUsage(usage: MockUsage, output: number) {
  return {
    input_tokens: usage.input,
    cache_creation_input_tokens: usage.cacheWrite,
    cache_read_input_tokens: usage.cacheRead,
    output_tokens: output,
  };
}

function geminiUsage(usage: MockUsage) {
  const prompt = usage.input + usage.cacheRead;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: usage.output - usage.reasoning,
    totalTokenCount: prompt + usage.output,
    ...(usage.cacheRead ? { cachedContentTokenCount: usage.cacheRead } : {}),
    ...(usage.reasoning ? { thoughtsTokenCount: usage.reasoning } : {}),
  };
}

function toolId(family: MockFamily, id: string | undefined, index: number): string {
  return id ?? (family === "anthropic" ? `toolu_mock_${index}` : `call_mock_${index}`);
}

type ChatBody = (answer: Answer, request: MockRequest) => unknown;

const CHAT_BODIES: Record<MockFamily, ChatBody> = {
  openai: (answer) => ({
    id: "chatcmpl-mock",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: answer.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: answer.text && answer.toolCalls.length === 0 ? answer.text : null,
          refusal: null,
          ...(answer.reasoning ? { reasoning_content: answer.reasoning } : {}),
          ...(answer.toolCalls.length > 0
            ? {
                tool_calls: answer.toolCalls.map((call, index) => ({
                  id: toolId("openai", call.id, index),
                  type: "function",
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
        },
        finish_reason: OPENAI_FINISH[answer.finish],
        logprobs: null,
      },
    ],
    usage: openaiUsage(answer.usage),
  }),
  anthropic: (answer) => ({
    id: "msg_mock",
    type: "message",
    role: "assistant",
    model: answer.model,
    content: anthropicBlocks(answer),
    stop_reason: answer.jsonTool ? "tool_use" : ANTHROPIC_STOP[answer.finish],
    stop_sequence: null,
    usage: anthropicUsage(answer.usage, answer.usage.output),
  }),
  gemini: (answer) => ({
    candidates: [
      { content: { role: "model", parts: geminiParts(answer) }, finishReason: GEMINI_FINISH[answer.finish], index: 0 },
    ],
    usageMetadata: geminiUsage(answer.usage),
    modelVersion: answer.model,
  }),
};

function anthropicBlocks(answer: Answer): unknown[] {
  const blocks: unknown[] = [];
  if (answer.reasoning) blocks.push({ type: "thinking", thinking: answer.reasoning, signature: "sig-mock" });
  if (answer.jsonTool)
    blocks.push({ type: "tool_use", id: "toolu_mock_json", name: answer.jsonTool, input: JSON.parse(answer.text) });
  else if (answer.text && answer.toolCalls.length === 0)
    blocks.push({ type: "text", text: answer.text, citations: null });
  answer.toolCalls.forEach((call, index) => {
    blocks.push({
      type: "tool_use",
      id: toolId("anthropic", call.id, index),
      name: call.name,
      input: JSON.parse(call.arguments),
    });
  });
  return blocks;
}

function geminiParts(answer: Answer): unknown[] {
  const parts: unknown[] = [];
  if (answer.reasoning) parts.push({ text: answer.reasoning, thought: true });
  if (answer.text && answer.toolCalls.length === 0) parts.push({ text: answer.text });
  for (const call of answer.toolCalls) {
    parts.push({
      functionCall: { ...(call.id ? { id: call.id } : {}), name: call.name, args: JSON.parse(call.arguments) },
    });
  }
  return parts;
}

/** One SSE frame; `content` marks the frames `cutAfterChunks` and `streamError.afterChunks` count. */
interface Frame {
  text: string;
  content: boolean;
}

const data = (payload: unknown, content = false): Frame => ({ text: `data: ${JSON.stringify(payload)}\n\n`, content });
const named = (event: string, payload: unknown, content = false): Frame => ({
  text: `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`,
  content,
});

type StreamFrames = (answer: Answer, request: MockRequest, reply: MockReply) => Frame[];

const STREAM_FRAMES: Record<MockFamily, StreamFrames> = {
  openai: (answer, request, reply) => {
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id: "chatcmpl-mock",
      object: "chat.completion.chunk",
      created: Math.floor(Date.now() / 1000),
      model: answer.model,
      choices,
      ...extra,
    });
    const delta = (value: Record<string, unknown>, finish: string | null = null) => [
      { index: 0, delta: value, finish_reason: finish },
    ];
    const frames: Frame[] = [data(chunk(delta({ role: "assistant", content: "" })))];
    for (const piece of splitText(answer.reasoning, reply.chunks ?? 3))
      frames.push(data(chunk(delta({ reasoning_content: piece })), true));
    if (answer.toolCalls.length === 0)
      for (const piece of answer.pieces) frames.push(data(chunk(delta({ content: piece })), true));
    answer.toolCalls.forEach((call, index) => {
      const id = toolId("openai", call.id, index);
      const start = { index, id, type: "function", function: { name: call.name, arguments: "" } };
      frames.push(data(chunk(delta({ tool_calls: [start] })), true));
      for (const part of halves(call.arguments)) {
        frames.push(data(chunk(delta({ tool_calls: [{ index, function: { arguments: part } }] })), true));
      }
    });
    frames.push(data(chunk(delta({}, OPENAI_FINISH[answer.finish]))));
    if (request.body?.stream_options?.include_usage && !reply.omitUsage) {
      frames.push(data(chunk([], { usage: openaiUsage(answer.usage) })));
    }
    frames.push({ text: "data: [DONE]\n\n", content: false });
    return frames;
  },
  anthropic: (answer) => {
    const message = {
      id: "msg_mock",
      type: "message",
      role: "assistant",
      model: answer.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: anthropicUsage(answer.usage, 1),
    };
    const frames: Frame[] = [
      named("message_start", { type: "message_start", message }),
      named("ping", { type: "ping" }),
    ];
    let index = 0;
    const block = (start: unknown, deltas: unknown[]) => {
      frames.push(named("content_block_start", { type: "content_block_start", index, content_block: start }));
      for (const delta of deltas)
        frames.push(named("content_block_delta", { type: "content_block_delta", index, delta }, true));
      frames.push(named("content_block_stop", { type: "content_block_stop", index }));
      index++;
    };
    if (answer.reasoning) {
      const thinking = splitText(answer.reasoning, 3).map((piece) => ({ type: "thinking_delta", thinking: piece }));
      block({ type: "thinking", thinking: "", signature: "" }, [
        ...thinking,
        { type: "signature_delta", signature: "sig-mock" },
      ]);
    }
    if (answer.jsonTool) {
      const json = answer.pieces.map((piece) => ({ type: "input_json_delta", partial_json: piece }));
      block({ type: "tool_use", id: "toolu_mock_json", name: answer.jsonTool, input: {} }, json);
    } else if (answer.toolCalls.length === 0) {
      block(
        { type: "text", text: "", citations: null },
        answer.pieces.map((piece) => ({ type: "text_delta", text: piece })),
      );
    }
    answer.toolCalls.forEach((call, position) => {
      const start = { type: "tool_use", id: toolId("anthropic", call.id, position), name: call.name, input: {} };
      block(start, [
        { type: "input_json_delta", partial_json: "" },
        ...halves(call.arguments).map((part) => ({ type: "input_json_delta", partial_json: part })),
      ]);
    });
    const stopReason = answer.jsonTool ? "tool_use" : ANTHROPIC_STOP[answer.finish];
    const usage = { output_tokens: answer.usage.output };
    frames.push(
      named("message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage }),
    );
    frames.push(named("message_stop", { type: "message_stop" }));
    return frames;
  },
  gemini: (answer, _request, reply) => {
    const partsPerFrame: unknown[][] = splitText(answer.reasoning, reply.chunks ?? 3).map((piece) => [
      { text: piece, thought: true },
    ]);
    if (answer.toolCalls.length > 0) partsPerFrame.push(geminiParts({ ...answer, reasoning: "" }));
    else for (const piece of answer.pieces) partsPerFrame.push([{ text: piece }]);
    if (partsPerFrame.length === 0) partsPerFrame.push([]);
    const last = partsPerFrame.length - 1;
    // Like Gemini: every frame repeats the prompt count, the last one adds the finish reason and the full usage.
    const promptOnly = { promptTokenCount: answer.usage.input + answer.usage.cacheRead };
    return partsPerFrame.map((parts, position) => {
      const candidate = { content: { role: "model", parts }, index: 0 };
      const final = position === last;
      const usageMetadata = final ? geminiUsage(answer.usage) : promptOnly;
      return data(
        {
          candidates: [final ? { ...candidate, finishReason: GEMINI_FINISH[answer.finish] } : candidate],
          ...(reply.omitUsage ? {} : { usageMetadata }),
          modelVersion: answer.model,
        },
        true,
      );
    });
  },
};

function streamErrorFrame(family: MockFamily, error: NonNullable<MockReply["streamError"]>): Frame {
  const message = error.message ?? "mock upstream failed mid-stream";
  if (family === "anthropic") {
    return named("error", { type: "error", error: { type: error.type ?? "overloaded_error", message } });
  }
  if (family === "gemini") return data({ error: { code: 503, message, status: error.type ?? "UNAVAILABLE" } });
  return data({ error: { message, type: error.type ?? "server_error", param: null, code: null } });
}

/** Streams frames one per pull, honouring delays, a cut connection and an in-stream error. */
function sseResponse(frames: Frame[], reply: MockReply, family: MockFamily, onCancel: () => void): Response {
  let plan = frames;
  if (reply.streamError) {
    plan = [
      ...frames.slice(0, contentEnd(frames, reply.streamError.afterChunks)),
      streamErrorFrame(family, reply.streamError),
    ];
  } else if (reply.cutAfterChunks !== undefined) {
    plan = frames.slice(0, contentEnd(frames, reply.cutAfterChunks));
  }
  const encoder = new TextEncoder();
  let position = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (reply.chunkDelayMs) await Bun.sleep(reply.chunkDelayMs);
      const frame = plan[position++];
      if (frame) return controller.enqueue(encoder.encode(frame.text));
      if (reply.cutAfterChunks !== undefined && !reply.streamError) {
        // Let the frames already written reach the client, then drop the connection as a crashed upstream would.
        await Bun.sleep(20);
        return controller.error();
      }
      controller.close();
    },
    cancel: onCancel,
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...reply.headers },
  });
}

/** The frame index just after the `count`-th content frame (all of them when `count` is absent). */
function contentEnd(frames: Frame[], count = Number.POSITIVE_INFINITY): number {
  let seen = 0;
  let end = 0;
  for (const [index, frame] of frames.entries()) {
    if (!frame.content) continue;
    if (seen === count) return index;
    seen++;
    end = index + 1;
  }
  return end;
}

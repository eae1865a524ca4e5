/** @module The `gemini` family: generativelanguage.googleapis.com REST, keyed only by the `x-goog-api-key` header. */
import type {
  ChatChunk,
  ChatRequest,
  ChatResult,
  ContentPart,
  FinishReason,
  ImageRequest,
  ImageResult,
  Message,
  ToolCall,
  ToolDefinition,
  Usage,
} from "../services/gateway/types";
import { thinkingBudget } from "./anthropic";
import { classifyStatus, parseFrame, readJson, readSse, scrub, streamEndedEarly, upstreamFetch } from "./http";
import { type Provider, type ProviderTarget, UpstreamFailure } from "./types";

const LABEL = "gemini";

/** One part of a Gemini turn (the subset the hub sends and reads). */
export interface GeminiPart {
  text?: string;
  /** Marks a text part as thought summary rather than answer. */
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
  functionResponse?: { name: string; response: Record<string, unknown> };
}

/** One Gemini turn; the assistant is `model`, tool results travel in `user` turns. */
export interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

/** A function the model may call; `parameters` is Gemini's OpenAPI-subset schema. */
export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

/** Sampling, length, output format and thinking settings. */
export interface GeminiGenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseSchema?: Record<string, unknown>;
  thinkingConfig?: { thinkingBudget?: number; includeThoughts?: boolean };
}

/** The body of `:generateContent` and `:streamGenerateContent`. */
export interface GeminiGenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: { functionDeclarations: GeminiFunctionDeclaration[] }[];
  toolConfig?: { functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: string[] } };
  generationConfig?: GeminiGenerationConfig;
}

/** Token counts; prompt includes cached content, thoughts are separate from candidates. */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
}

/** Gemini's error body (`{"error":{code,message,status}}`), also sent as a stream frame. */
export interface GeminiError {
  code?: number;
  message?: string;
  status?: string;
}

/** One `:generateContent` answer, or one frame of `:streamGenerateContent?alt=sse`. */
export interface GeminiGenerateContentResponse {
  candidates?: { content?: GeminiContent; finishReason?: string; index?: number }[];
  usageMetadata?: GeminiUsageMetadata;
  promptFeedback?: { blockReason?: string };
  modelVersion?: string;
  error?: GeminiError;
}

/** The body and answer of `:batchEmbedContents`. */
export interface GeminiBatchEmbedRequest {
  requests: { model: string; content: { parts: { text: string }[] }; outputDimensionality?: number }[];
}
interface GeminiBatchEmbedResponse {
  embeddings?: { values: number[] }[];
}

/** The Imagen `:predict` body and answer. */
interface ImagenPredictResponse {
  predictions?: { bytesBase64Encoded?: string; mimeType?: string }[];
}

/** The `gemini` provider (Google AI Studio's Gemini API). */
export const geminiProvider: Provider = {
  type: "gemini",
  chatStream: streamGeminiChat,
  chat: async function completeGeminiChat(request, target, signal) {
    const response = await upstreamFetch(
      geminiCall(target, signal, modelPath(target.model, ":generateContent"), toGeminiBody(request)),
    );
    return fromGeminiResponse(await readJson<GeminiGenerateContentResponse>(response, LABEL, signal), target.apiKey);
  },
  embed: async function embedGemini(request, target, signal) {
    const model = `models/${bareModel(target.model)}`;
    const body: GeminiBatchEmbedRequest = {
      requests: request.input.map((text) => ({
        model,
        content: { parts: [{ text }] },
        ...(request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {}),
      })),
    };
    const response = await upstreamFetch(
      geminiCall(target, signal, modelPath(target.model, ":batchEmbedContents"), body),
    );
    const result = await readJson<GeminiBatchEmbedResponse>(response, LABEL, signal);
    // The embeddings API reports no token counts; about four characters per token is the documented rule of thumb.
    const inputTokens = request.input.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
    return { vectors: (result.embeddings ?? []).map((embedding) => embedding.values), usage: { inputTokens } };
  },
  image: generateGeminiImage,
  probe: async function probeGemini(target, signal) {
    const response = await upstreamFetch({ ...geminiCall({ ...target, model: "" }, signal, "/models"), method: "GET" });
    await response.body?.cancel();
  },
};

async function* streamGeminiChat(
  request: ChatRequest,
  target: ProviderTarget,
  signal: AbortSignal,
): AsyncGenerator<ChatChunk> {
  const path = modelPath(target.model, ":streamGenerateContent?alt=sse");
  const response = await upstreamFetch(geminiCall(target, signal, path, toGeminiBody(request)));
  let usage: GeminiUsageMetadata | undefined;
  let finish: string | undefined;
  let toolCalls = 0;
  for await (const event of readSse(response, { label: LABEL, signal })) {
    const frame = parseFrame<GeminiGenerateContentResponse>(event.data, LABEL);
    if (frame.error) throw errorFailure(frame.error, target.apiKey);
    if (frame.usageMetadata) usage = frame.usageMetadata;
    if (frame.promptFeedback?.blockReason) finish ??= "SAFETY";
    const candidate = frame.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall) {
        const { id, name, args } = part.functionCall;
        yield {
          type: "tool_call",
          index: toolCalls++,
          id: id ?? toolCallId(),
          name,
          argumentsDelta: JSON.stringify(args ?? {}),
        };
      } else if (part.text) {
        yield part.thought ? { type: "reasoning", text: part.text } : { type: "text", text: part.text };
      }
    }
    if (candidate?.finishReason) finish = candidate.finishReason;
  }
  if (!finish) throw streamEndedEarly(LABEL);
  if (usage) yield { type: "usage", usage: toUsage(usage) };
  yield { type: "finish", reason: toFinishReason(finish, toolCalls > 0) };
}

function geminiCall(target: ProviderTarget, signal: AbortSignal, path: string, body?: unknown) {
  // The key travels only in this header: keys in URLs end up in access logs (gateway-notes §3).
  const headers = { "x-goog-api-key": target.apiKey };
  return { label: LABEL, url: geminiUrl(target.baseUrl, path), headers, body, target, signal };
}

/** The SDK's base URL is the origin; an operator-given `…/v1beta` base is accepted too. */
function geminiUrl(baseUrl: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  return /\/v1(beta)?$/.test(base) ? base + path : `${base}/v1beta${path}`;
}

function modelPath(model: string, method: string): string {
  return `/models/${bareModel(model)}${method}`;
}

function bareModel(model: string): string {
  return model.startsWith("models/") ? model.slice("models/".length) : model;
}

/** Translates a canonical chat request into a generateContent body. */
export function toGeminiBody(request: ChatRequest): GeminiGenerateContentRequest {
  const body: GeminiGenerateContentRequest = { contents: toGeminiContents(request.messages) };
  const system = request.messages
    .filter((message) => message.role === "system")
    .flatMap((message) => textParts(message.content));
  if (system.length > 0) body.systemInstruction = { parts: system };
  if (request.tools?.length) {
    body.tools = [{ functionDeclarations: request.tools.map(toFunctionDeclaration) }];
    if (request.toolChoice !== undefined)
      body.toolConfig = { functionCallingConfig: toFunctionCallingConfig(request.toolChoice) };
  }
  const config = toGenerationConfig(request);
  if (Object.keys(config).length > 0) body.generationConfig = config;
  return body;
}

function toGeminiContents(messages: Message[]): GeminiContent[] {
  const contents: GeminiContent[] = [];
  // Function responses must name their function; the name lives on the earlier assistant call with the same id.
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    if (message.role === "system") continue;
    let parts: GeminiPart[];
    if (message.role === "assistant") {
      parts = message.content.flatMap(toGeminiParts);
      for (const toolCall of message.toolCalls ?? []) {
        toolNames.set(toolCall.id, toolCall.name);
        parts.push({ functionCall: { name: toolCall.name, args: parseArguments(toolCall.arguments) } });
      }
    } else if (message.role === "tool") {
      parts = [toFunctionResponse(message, toolNames)];
    } else {
      parts = message.content.flatMap(toGeminiParts);
    }
    if (parts.length === 0) continue;
    const role = message.role === "assistant" ? "model" : "user";
    const previous = contents.at(-1);
    // Parallel tool results must arrive in one turn; Gemini also wants user and model turns to alternate.
    if (previous?.role === role) previous.parts.push(...parts);
    else contents.push({ role, parts });
  }
  return contents;
}

function toFunctionResponse(message: Message, toolNames: Map<string, string>): GeminiPart {
  const name = toolNames.get(message.toolCallId ?? "") ?? message.name;
  if (!name) throw new UpstreamFailure("bad_request", "a tool result answers no earlier tool call");
  const text = message.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
  const response: Record<string, unknown> = message.isError
    ? { error: text }
    : (parseObject(text) ?? { content: text });
  return { functionResponse: { name, response } };
}

function toGeminiParts(part: ContentPart): GeminiPart[] {
  if (part.type === "text") return part.text ? [{ text: part.text }] : [];
  if (part.type === "image") {
    return part.source.kind === "url"
      ? [{ fileData: { mimeType: mimeFromUrl(part.source.url), fileUri: part.source.url } }]
      : [{ inlineData: { mimeType: part.source.mediaType, data: part.source.data } }];
  }
  return [{ inlineData: { mimeType: part.mediaType, data: part.data } }];
}

function textParts(content: ContentPart[]): GeminiPart[] {
  return content.flatMap((part) => (part.type === "text" && part.text ? [{ text: part.text }] : []));
}

function mimeFromUrl(url: string): string {
  const extension = /\.(png|jpe?g|gif|webp|heic|heif)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  if (!extension) return "image/jpeg";
  return extension === "jpg" ? "image/jpeg" : `image/${extension}`;
}

function toFunctionDeclaration(tool: ToolDefinition): GeminiFunctionDeclaration {
  const declaration: GeminiFunctionDeclaration = { name: tool.name };
  if (tool.description) declaration.description = tool.description;
  // Gemini rejects an object schema without properties, which is how "no arguments" is usually written.
  const properties = tool.parameters.properties as Record<string, unknown> | undefined;
  if (properties && Object.keys(properties).length > 0) declaration.parameters = toGeminiSchema(tool.parameters);
  return declaration;
}

function toFunctionCallingConfig(choice: NonNullable<ChatRequest["toolChoice"]>) {
  if (choice === "auto") return { mode: "AUTO" as const };
  if (choice === "none") return { mode: "NONE" as const };
  if (choice === "required") return { mode: "ANY" as const };
  return { mode: "ANY" as const, allowedFunctionNames: [choice.name] };
}

function toGenerationConfig(request: ChatRequest): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.stop?.length) config.stopSequences = request.stop;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;
  const format = request.responseFormat;
  if (format?.type === "json_object" || format?.type === "json_schema") config.responseMimeType = "application/json";
  if (format?.type === "json_schema") config.responseSchema = toGeminiSchema(format.schema);
  const budget = thinkingBudget(request.reasoningEffort);
  if (budget !== undefined) config.thinkingConfig = { thinkingBudget: budget, includeThoughts: true };
  return config;
}

/** The JSON Schema keywords Gemini's Schema object accepts; others (additionalProperties, $schema, …) are rejected. */
const SCHEMA_KEYS = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
]);

/** Rewrites a JSON Schema into Gemini's OpenAPI subset: unknown keywords dropped, `type: [T, "null"]` made nullable. */
export function toGeminiSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "const") out.enum = [value];
    else if (!SCHEMA_KEYS.has(key)) continue;
    else if (key === "type" && Array.isArray(value)) {
      const types = value.filter((type) => type !== "null");
      out.type = types[0];
      if (types.length < value.length) out.nullable = true;
    } else if (key === "properties" && isRecord(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [
          name,
          isRecord(property) ? toGeminiSchema(property) : property,
        ]),
      );
    } else if (key === "items" && isRecord(value)) out.items = toGeminiSchema(value);
    else if (key === "anyOf" && Array.isArray(value))
      out.anyOf = value.map((item) => (isRecord(item) ? toGeminiSchema(item) : item));
    else out[key] = value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fromGeminiResponse(response: GeminiGenerateContentResponse, apiKey: string): ChatResult {
  if (response.error) throw errorFailure(response.error, apiKey);
  const candidate = response.candidates?.[0];
  let text = "";
  let thoughts = "";
  const toolCalls: ToolCall[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall) {
      const { id, name, args } = part.functionCall;
      toolCalls.push({ id: id ?? toolCallId(), name, arguments: JSON.stringify(args ?? {}) });
    } else if (part.text && part.thought) thoughts += part.text;
    else if (part.text) text += part.text;
  }
  const finish = candidate?.finishReason ?? (response.promptFeedback?.blockReason ? "SAFETY" : "STOP");
  return {
    text,
    ...(thoughts ? { reasoning: [{ text: thoughts }] } : {}),
    toolCalls,
    finishReason: toFinishReason(finish, toolCalls.length > 0),
    usage: toUsage(response.usageMetadata ?? {}),
    ...(response.modelVersion ? { upstreamModel: response.modelVersion } : {}),
  };
}

/** Maps Gemini usage: cached content is split out of the prompt, thoughts count as output. */
export function toUsage(usage: GeminiUsageMetadata): Usage {
  const cached = usage.cachedContentTokenCount ?? 0;
  const thoughts = usage.thoughtsTokenCount ?? 0;
  return {
    inputTokens: Math.max(0, (usage.promptTokenCount ?? 0) - cached),
    outputTokens: (usage.candidatesTokenCount ?? 0) + thoughts,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    ...(usage.thoughtsTokenCount !== undefined ? { reasoningTokens: thoughts } : {}),
  };
}

const CONTENT_FILTER_REASONS = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "LANGUAGE",
]);

function toFinishReason(reason: string, hasToolCalls: boolean): FinishReason {
  if (reason === "MAX_TOKENS") return "length";
  if (CONTENT_FILTER_REASONS.has(reason)) return "content_filter";
  // Gemini finishes with STOP after function calls too.
  return hasToolCalls ? "tool_calls" : "stop";
}

/** Gemini gives function calls no id; the canonical shape needs one to pair results with calls. */
function toolCallId(): string {
  return `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

function parseArguments(text: string): Record<string, unknown> {
  const parsed = parseObject(text || "{}");
  if (!parsed) throw new UpstreamFailure("bad_request", "a tool call's arguments are not a JSON object");
  return parsed;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function errorFailure(error: GeminiError, apiKey: string): UpstreamFailure {
  const kind = classifyStatus(error.code ?? 500, error.status);
  return new UpstreamFailure(
    kind,
    `${LABEL} upstream error: ${scrub(error.message ?? "unknown error", apiKey)}`,
    error.code,
  );
}

/** Generates images with an Imagen model through `:predict`; Gemini chat models answer bad_request. */
async function generateGeminiImage(
  request: ImageRequest,
  target: ProviderTarget,
  signal: AbortSignal,
): Promise<ImageResult> {
  if (!bareModel(target.model).startsWith("imagen")) {
    throw new UpstreamFailure("bad_request", `image generation is not supported by gemini model ${target.model}`);
  }
  const body = { instances: [{ prompt: request.prompt }], parameters: { sampleCount: request.n } };
  const response = await upstreamFetch(geminiCall(target, signal, modelPath(target.model, ":predict"), body));
  const result = await readJson<ImagenPredictResponse>(response, LABEL, signal);
  const images = (result.predictions ?? []).flatMap((prediction) =>
    prediction.bytesBase64Encoded
      ? [
          {
            kind: "base64" as const,
            data: prediction.bytesBase64Encoded,
            mediaType: prediction.mimeType ?? "image/png",
          },
        ]
      : [],
  );
  return { images };
}

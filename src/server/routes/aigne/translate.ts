/**
 * @module AIGNE wire ⇄ canonical: `/api/v2/chat` (JSON and SSE, aigne-hub-wire §6), `/api/v2/embeddings`,
 * `/api/v2/image` and the `/api/ai/models` list.
 */
import type { AiModelInfo } from "../../../shared/api";
import { type AppError, invalidRequest } from "../../../shared/errors";
import type {
  ChatChunk,
  ChatRequest,
  ChatResult,
  ContentPart,
  EmbeddingRequest,
  EmbeddingResult,
  ImageRequest,
  ImageResult,
  Message,
  ModelListing,
  ToolCall,
  ToolDefinition,
  Usage,
} from "../../services/gateway/types";
import { type OpenAIEmbeddingsResponse, toOpenAIEmbeddings } from "../openai/translate";
import {
  argumentsObject,
  argumentsText,
  binaryPart,
  cacheLast,
  fallbackToolCallId,
  parseDataUrl,
  type ResponseMeta,
  requireBase64,
  SSE_PING_COMMENT,
  type StreamEncoder,
  type StreamEnd,
  sseData,
  sseEvent,
  toCacheControl,
  totalInputTokens,
  type WireCacheControl,
} from "../sse";
import type { AigneChatBody, AigneEmbeddingsBody, AigneImageBody } from "./schemas";

/** The only prefixes the AIGNE clients accept in `usage.creditPrefix` (§6.8). */
export type CreditPrefix = "$" | "€" | "¥";

/** Response meta on the AIGNE surface: the operator's credit prefix, when one is configured. */
export interface AigneResponseMeta extends ResponseMeta {
  creditPrefix?: CreditPrefix;
}

/** `ChatModelOutputUsage`: prompt tokens include cache; credits are a JSON number, present only when billed. */
export interface AigneUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens?: number;
  cacheReadInputTokens?: number;
  aigneHubCredits?: number;
  creditPrefix?: CreditPrefix;
}

/** A tool call as the AIGNE clients validate it: arguments are an object. */
export interface AigneToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: unknown };
}

/** `ChatModelOutput`: `json` replaces `text` when a json_schema answer parsed, exactly as the SSE merge yields. */
export interface AigneChatOutput {
  text?: string;
  thoughts?: string;
  toolCalls?: AigneToolCall[];
  json?: object;
  model: string;
  usage: AigneUsage;
}

type WireMessage = AigneChatBody["input"]["messages"][number];
type WirePart = Exclude<NonNullable<WireMessage["content"]>, string>[number];

const ROLES = { system: "system", user: "user", agent: "assistant", tool: "tool" } as const;

const withCache = (part: ContentPart, c: WireCacheControl): ContentPart => cacheLast([part], c)[0]!;

function fromPart(part: WirePart, path: string): ContentPart {
  switch (part.type) {
    case "text":
      return withCache({ type: "text", text: part.text }, part.cacheControl);
    case "url": {
      const inline = parseDataUrl(part.url, `${path}.url`);
      if (inline)
        return withCache(binaryPart(inline.mediaType, inline.data, part.filename ?? undefined), part.cacheControl);
      if (part.mimeType && !part.mimeType.startsWith("image/"))
        throw invalidRequest(
          `${path}.url: only image URLs are supported; send other files as file parts`,
          `${path}.url`,
        );
      return withCache({ type: "image", source: { kind: "url", url: part.url } }, part.cacheControl);
    }
    case "file": {
      const data = requireBase64(part.data, `${path}.data`);
      const mediaType = part.mimeType ?? sniffMediaType(data);
      return withCache(binaryPart(mediaType, data, part.filename ?? undefined), part.cacheControl);
    }
  }
}

/** Base64 prefixes of the formats the upstreams accept, for file parts that arrive without a mimeType. */
const SIGNATURES: [string, string][] = [
  ["JVBERi", "application/pdf"],
  ["iVBORw0KGgo", "image/png"],
  ["/9j/", "image/jpeg"],
  ["R0lGOD", "image/gif"],
  ["UklGR", "image/webp"],
];

function sniffMediaType(data: string): string {
  for (const [prefix, mediaType] of SIGNATURES) if (data.startsWith(prefix)) return mediaType;
  return "application/octet-stream";
}

function fromMessage(message: WireMessage, path: string): Message {
  const content = message.content ?? [];
  const parts: ContentPart[] =
    typeof content !== "string"
      ? content.map((part, j) => fromPart(part, `${path}.content[${j}]`))
      : content === ""
        ? []
        : [{ type: "text", text: content }];
  const out: Message = { role: ROLES[message.role], content: cacheLast(parts, message.cacheControl) };
  if (message.name) out.name = message.name;
  if (message.role === "agent" && message.toolCalls?.length)
    out.toolCalls = message.toolCalls.map((call, j) => ({
      id: call.id,
      name: call.function.name,
      arguments: argumentsText(call.function.arguments, `${path}.toolCalls[${j}].function.arguments`),
    }));
  if (message.role === "tool") {
    if (!message.toolCallId)
      throw invalidRequest(`${path}.toolCallId: required on tool messages`, `${path}.toolCallId`);
    out.toolCallId = message.toolCallId;
  }
  return out;
}

function fromTool(tool: NonNullable<AigneChatBody["input"]["tools"]>[number]): ToolDefinition {
  const definition: ToolDefinition = {
    name: tool.function.name,
    description: tool.function.description ?? undefined,
    parameters: tool.function.parameters ?? { type: "object", properties: {} },
  };
  const cache = toCacheControl(tool.cacheControl);
  if (cache) definition.cacheControl = cache;
  return definition;
}

/**
 * Mirrors the AIGNE Anthropic model's cache defaults: on unless disabled, automatic breakpoints on tools and system,
 * the last message only when asked; the "manual" strategy leaves only explicit cacheControl marks.
 */
function cacheBreakpoints(options: AigneChatBody["input"]["modelOptions"]): ChatRequest["cacheBreakpoints"] {
  const config = options?.cacheConfig;
  if (config?.enabled === false || config?.strategy === "manual") return undefined;
  const auto = config?.autoBreakpoints;
  return { tools: auto?.tools !== false, system: auto?.system !== false, lastMessage: auto?.lastMessage === true };
}

/** Tells whether the request asked for a json_schema answer, which the AIGNE wire returns as the `json` object. */
export const wantsJson = (body: AigneChatBody): boolean => body.input.responseFormat?.type === "json_schema";

/**
 * Translates the `/api/v2/chat` envelope into the canonical request. The model is `input.modelOptions.model`, else
 * the older top-level `model`, else `defaultModel`; malformed-but-typed input names its field.
 */
export function fromAigneChat(body: AigneChatBody, { defaultModel }: { defaultModel?: string } = {}): ChatRequest {
  const { input } = body;
  const options = input.modelOptions ?? undefined;
  const model = options?.model || body.model || defaultModel;
  if (!model) throw invalidRequest("input.modelOptions.model: required", "input.modelOptions.model");
  const choice = input.toolChoice ?? undefined;
  const format = input.responseFormat ?? undefined;
  return {
    model,
    messages: input.messages.map((m, i) => fromMessage(m, `input.messages[${i}]`)),
    tools: input.tools?.map(fromTool),
    toolChoice: typeof choice === "object" ? { name: choice.function.name } : choice,
    parallelToolCalls: options?.parallelToolCalls ?? undefined,
    responseFormat:
      format?.type === "json_schema"
        ? {
            type: "json_schema",
            name: format.jsonSchema.name,
            schema: format.jsonSchema.schema,
            strict: format.jsonSchema.strict ?? undefined,
            description: format.jsonSchema.description ?? undefined,
          }
        : format,
    maxTokens: options?.maxTokens ?? undefined,
    temperature: options?.temperature ?? undefined,
    topP: options?.topP ?? undefined,
    frequencyPenalty: options?.frequencyPenalty ?? undefined,
    presencePenalty: options?.presencePenalty ?? undefined,
    reasoningEffort: options?.reasoningEffort ?? undefined,
    cacheBreakpoints: cacheBreakpoints(options),
  };
}

/**
 * Parses a json_schema answer into the object the client validates. Models sometimes fence the document in
 * Markdown, so a fenced block is tried too; anything else is undefined and the text is sent as text instead.
 */
export function parseJsonOutput(text: string): object | undefined {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(text);
  try {
    const value: unknown = JSON.parse(fenced ? fenced[1]! : text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Renders canonical usage as `ChatModelOutputUsage`; `credits` (a decimal string) becomes the number clients need. */
export function toAigneUsage(usage: Usage, credits?: string, creditPrefix?: CreditPrefix): AigneUsage {
  const out: AigneUsage = { inputTokens: totalInputTokens(usage), outputTokens: usage.outputTokens };
  if (usage.cacheWriteTokens) out.cacheCreationInputTokens = usage.cacheWriteTokens;
  if (usage.cacheReadTokens) out.cacheReadInputTokens = usage.cacheReadTokens;
  if (credits !== undefined) {
    out.aigneHubCredits = Number(credits);
    if (creditPrefix) out.creditPrefix = creditPrefix;
  }
  return out;
}

const toAigneToolCall = (call: ToolCall): AigneToolCall => ({
  id: call.id,
  type: "function",
  function: { name: call.name, arguments: argumentsObject(call.arguments) },
});

/** Renders a whole answer as `ChatModelOutput`; with json_schema and no tool calls the parsed text becomes `json`. */
export function toAigneChat(result: ChatResult, meta: AigneResponseMeta, body: AigneChatBody): AigneChatOutput {
  const hasCalls = result.toolCalls.length > 0;
  const json = wantsJson(body) && !hasCalls ? parseJsonOutput(result.text) : undefined;
  return {
    text: json === undefined ? result.text : undefined,
    thoughts: result.reasoning?.map((r) => r.text).join("") || undefined,
    toolCalls: hasCalls ? result.toolCalls.map(toAigneToolCall) : undefined,
    json,
    model: meta.model,
    usage: toAigneUsage(result.usage, meta.credits, meta.creditPrefix),
  };
}

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Builds the SSE encoder for one streamed `/api/v2/chat` call. `open` names the model at once; text and thoughts
 * stream as appended `delta.text` frames; tool calls, a json_schema answer and usage are shallow-assigned by the
 * client, so they are collected and sent whole by `end`. There is no `[DONE]`, and the only named event is `error`.
 */
export function createAigneStreamEncoder(meta: AigneResponseMeta, body: AigneChatBody): StreamEncoder {
  const jsonMode = wantsJson(body);
  let jsonText = "";
  const calls = new Map<number, PendingCall>();

  return {
    open: () => sseData({ delta: { json: { model: meta.model } } }),
    chunk(c: ChatChunk): string {
      switch (c.type) {
        case "text":
          if (!c.text) return "";
          if (jsonMode) {
            jsonText += c.text;
            return "";
          }
          return sseData({ delta: { text: { text: c.text } } });
        case "reasoning":
          return c.text ? sseData({ delta: { text: { thoughts: c.text } } }) : "";
        case "tool_call": {
          const call = calls.get(c.index);
          if (call) call.arguments += c.argumentsDelta;
          else
            calls.set(c.index, {
              id: c.id ?? fallbackToolCallId(meta.id, calls.size),
              name: c.name ?? "",
              arguments: c.argumentsDelta,
            });
          return "";
        }
        default:
          return "";
      }
    },
    end(final: StreamEnd): string {
      let out = "";
      if (jsonText) {
        const json = calls.size ? undefined : parseJsonOutput(jsonText);
        out += sseData(json === undefined ? { delta: { text: { text: jsonText } } } : { delta: { json: { json } } });
      }
      if (calls.size) out += sseData({ delta: { json: { toolCalls: [...calls.values()].map(toAigneToolCall) } } });
      return out + sseData({ delta: { json: { usage: toAigneUsage(final.usage, final.credits, meta.creditPrefix) } } });
    },
    error: (e: AppError) => sseEvent("error", { message: e.message }),
    ping: () => SSE_PING_COMMENT,
  };
}

/** Translates either embeddings body form into the canonical request. */
export function fromAigneEmbeddings(body: AigneEmbeddingsBody): EmbeddingRequest {
  const envelope = typeof body.input === "object" && !Array.isArray(body.input) ? body.input : undefined;
  const text = envelope ? envelope.input : (body.input as string | string[]);
  const model = envelope?.modelOptions?.model || body.model;
  const field = envelope ? "input.modelOptions.model" : "model";
  if (!model) throw invalidRequest(`${field}: required`, field);
  const input = typeof text === "string" ? [text] : text;
  const inputField = envelope ? "input.input" : "input";
  if (input.length === 0) throw invalidRequest(`${inputField}: must not be empty`, inputField);
  return { model, input, dimensions: envelope?.modelOptions?.dimensions ?? body.dimensions ?? undefined };
}

/** The OpenAI embeddings shape (§7.3), with the camelCase usage names newer clients reportedly read, and credits. */
export type AigneEmbeddingsResponse = OpenAIEmbeddingsResponse & {
  usage: { promptTokens: number; totalTokens: number; aigneHubCredits?: number };
};

/** Renders embedding vectors for the AIGNE surface. */
export function toAigneEmbeddings(result: EmbeddingResult, meta: ResponseMeta): AigneEmbeddingsResponse {
  const response = toOpenAIEmbeddings(result, meta);
  const tokens = result.usage.inputTokens;
  const usage: AigneEmbeddingsResponse["usage"] = { ...response.usage, promptTokens: tokens, totalTokens: tokens };
  if (meta.credits !== undefined) usage.aigneHubCredits = Number(meta.credits);
  return { ...response, usage };
}

/** Translates the `/api/v2/image` envelope; extras at `input` level win over the same keys in `modelOptions`. */
export function fromAigneImage(body: AigneImageBody, { defaultModel }: { defaultModel?: string } = {}): ImageRequest {
  const { input } = body;
  const options = input.modelOptions ?? undefined;
  if (input.image?.length) throw invalidRequest("input.image: image edits are not supported", "input.image");
  const model = options?.model || body.model || defaultModel;
  if (!model) throw invalidRequest("input.modelOptions.model: required", "input.modelOptions.model");
  return {
    model,
    prompt: input.prompt,
    n: input.n ?? 1,
    size: input.size ?? options?.size ?? undefined,
    quality: input.quality ?? options?.quality ?? undefined,
    style: input.style ?? options?.style ?? undefined,
    background: input.background ?? options?.background ?? undefined,
    outputFormat: input.outputFormat ?? options?.outputFormat ?? undefined,
    // Base64 `file` parts need no hosted capability URL; a URL the provider returns is passed on as a `url` part.
    responseFormat: "b64_json",
  };
}

/** A generated image as the AIGNE image client reads it. */
export type AigneImage =
  | { type: "url"; url: string; mimeType: string }
  | { type: "file"; data: string; mimeType: string };

const IMAGE_EXTENSIONS: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
};

function urlMediaType(url: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  return (extension && IMAGE_EXTENSIONS[extension]) || "image/png";
}

/** Renders generated images as the `/api/v2/image` answer. */
export function toAigneImage(
  result: ImageResult,
  meta: AigneResponseMeta,
): { images: AigneImage[]; usage: AigneUsage; model: string } {
  const usage: Usage = {
    inputTokens: result.usage?.inputTokens ?? 0,
    outputTokens: result.usage?.outputTokens ?? 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
  return {
    images: result.images.map((image) =>
      image.kind === "url"
        ? { type: "url", url: image.url, mimeType: urlMediaType(image.url) }
        : { type: "file", data: image.data, mimeType: image.mediaType },
    ),
    usage: toAigneUsage(usage, meta.credits, meta.creditPrefix),
    model: meta.model,
  };
}

const DISPLAY_NAMES: Record<string, string> = {
  openai: "OpenAI",
  anthropic: "Anthropic",
  google: "Google",
  gemini: "Google",
  deepseek: "DeepSeek",
  xai: "xAI",
  openrouter: "OpenRouter",
  ollama: "Ollama",
  bedrock: "Amazon Bedrock",
  doubao: "Doubao",
  poe: "Poe",
  ideogram: "Ideogram",
};

/** Renders the model list as `GET /api/ai/models`; `model` is `provider/model`, as in every hub model list. */
export function toAigneModelList(models: ModelListing[]): AiModelInfo[] {
  return models.map((m) => ({
    model: m.id,
    type: m.type,
    provider: m.provider,
    input_credits_per_token: m.inputRate,
    output_credits_per_token: m.outputRate,
    modelMetadata: m.maxOutputTokens ? { maxTokens: m.maxOutputTokens } : {},
    providerDisplayName: DISPLAY_NAMES[m.provider] ?? m.provider,
    status: { available: m.available },
  }));
}

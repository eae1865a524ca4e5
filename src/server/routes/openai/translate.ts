/** @module OpenAI wire ⇄ canonical: chat completions (JSON and SSE), embeddings, images and the model list. */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessage,
  ChatCompletionMessageFunctionToolCall,
} from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import type { CreateEmbeddingResponse, Embedding } from "openai/resources/embeddings";
import type { ImagesResponse } from "openai/resources/images";
import type { Model } from "openai/resources/models";
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
  Usage,
} from "../../services/gateway/types";
import {
  argumentsText,
  binaryPart,
  fallbackToolCallId,
  parseDataUrl,
  type ResponseMeta,
  SSE_PING_COMMENT,
  type StreamEncoder,
  type StreamEnd,
  sseData,
  totalInputTokens,
} from "../sse";
import { renderOpenAIError } from "./errors";
import type { OpenAIChatBody, OpenAIEmbeddingsBody, OpenAIImagesBody } from "./schemas";

type WireMessage = OpenAIChatBody["messages"][number];
type UserPart = Exclude<Extract<WireMessage, { role: "user" }>["content"], string>[number];

/** DeepSeek-style `reasoning_content` carries reasoning text; most OpenAI-compatible clients read it. */
type AssistantMessage = ChatCompletionMessage & { reasoning_content?: string };
type Delta = ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

/** Maps OpenAI's effort labels onto the canonical ones; "none" means no reasoning and is dropped. */
const REASONING_EFFORT: Record<string, Exclude<ChatRequest["reasoningEffort"], number> | undefined> = {
  minimal: "minimal",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "high",
  max: "high",
};

const textParts = (content: string | { text: string }[]): ContentPart[] =>
  typeof content === "string"
    ? [{ type: "text", text: content }]
    : content.map((p) => ({ type: "text", text: p.text }));

function userPart(part: UserPart, path: string): ContentPart {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image_url": {
      const url = part.image_url.url;
      const inline = parseDataUrl(url, `${path}.image_url.url`);
      if (inline) return binaryPart(inline.mediaType, inline.data);
      if (!/^https?:\/\//i.test(url))
        throw invalidRequest(`${path}.image_url.url: must be an http(s) or data: URL`, `${path}.image_url.url`);
      return { type: "image", source: { kind: "url", url } };
    }
    case "file": {
      const { file_data: fileData, file_id: fileId, filename } = part.file;
      if (fileData === undefined) {
        const field = fileId === undefined ? "file_data" : "file_id";
        throw invalidRequest(`${path}.file.${field}: send the file inline as file_data`, `${path}.file.${field}`);
      }
      const inline = parseDataUrl(fileData, `${path}.file.file_data`);
      if (!inline) throw invalidRequest(`${path}.file.file_data: must be a data: URL`, `${path}.file.file_data`);
      return binaryPart(inline.mediaType, inline.data, filename);
    }
    case "input_audio":
      throw invalidRequest(`${path}: input_audio parts are not supported`, path);
  }
}

function fromMessage(message: WireMessage, path: string): Message {
  switch (message.role) {
    case "system":
    case "developer":
      return { role: "system", content: textParts(message.content), name: message.name };
    case "user":
      return {
        role: "user",
        content:
          typeof message.content === "string"
            ? [{ type: "text", text: message.content }]
            : message.content.map((part, j) => userPart(part, `${path}.content[${j}]`)),
        name: message.name,
      };
    case "assistant": {
      const content = message.content ?? [];
      const calls = message.tool_calls ?? [];
      return {
        role: "assistant",
        content:
          typeof content === "string"
            ? content === ""
              ? []
              : [{ type: "text", text: content }]
            : content.map((p) => ({ type: "text", text: p.type === "text" ? p.text : p.refusal })),
        toolCalls: calls.length
          ? calls.map((call, j) => ({
              id: call.id,
              name: call.function.name,
              arguments: argumentsText(call.function.arguments, `${path}.tool_calls[${j}].function.arguments`),
            }))
          : undefined,
        reasoning: message.reasoning_content ? [{ text: message.reasoning_content }] : undefined,
        name: message.name,
      };
    }
    case "tool":
      if (!message.tool_call_id)
        throw invalidRequest(`${path}.tool_call_id: required on tool messages`, `${path}.tool_call_id`);
      return { role: "tool", content: textParts(message.content), toolCallId: message.tool_call_id };
  }
}

/** Translates a chat completions body into the canonical request; malformed-but-typed input names its field. */
export function fromOpenAIChat(body: OpenAIChatBody): ChatRequest {
  if ((body.n ?? 1) > 1) throw invalidRequest("n: only one choice per request is supported", "n");
  const format = body.response_format ?? undefined;
  const choice = body.tool_choice ?? undefined;
  return {
    model: body.model,
    messages: body.messages.map((m, i) => fromMessage(m, `messages[${i}]`)),
    tools: body.tools?.map(({ function: f }) => ({
      name: f.name,
      description: f.description,
      parameters: f.parameters ?? { type: "object", properties: {} },
    })),
    toolChoice: typeof choice === "object" ? { name: choice.function.name } : choice,
    parallelToolCalls: body.parallel_tool_calls ?? undefined,
    responseFormat:
      format?.type === "json_schema"
        ? {
            type: "json_schema",
            name: format.json_schema.name,
            schema: format.json_schema.schema ?? {},
            strict: format.json_schema.strict ?? undefined,
            description: format.json_schema.description,
          }
        : format,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stop: typeof body.stop === "string" ? [body.stop] : (body.stop ?? undefined),
    frequencyPenalty: body.frequency_penalty ?? undefined,
    presencePenalty: body.presence_penalty ?? undefined,
    seed: body.seed ?? undefined,
    reasoningEffort: body.reasoning_effort ? REASONING_EFFORT[body.reasoning_effort] : undefined,
    user: body.user ?? undefined,
  };
}

/** Renders canonical usage as OpenAI counts it: prompt includes cached tokens, completion includes reasoning. */
export function toOpenAIUsage(usage: Usage): CompletionUsage {
  const prompt = totalInputTokens(usage);
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

const completionId = (meta: ResponseMeta) => `chatcmpl-${meta.id}`;

/** Renders a whole answer as a ChatCompletion; content is null when the answer is only tool calls. */
export function toOpenAIChat(result: ChatResult, meta: ResponseMeta): ChatCompletion {
  const message: AssistantMessage = {
    role: "assistant",
    content: result.text === "" && result.toolCalls.length > 0 ? null : result.text,
    refusal: null,
  };
  if (result.toolCalls.length)
    message.tool_calls = result.toolCalls.map(
      (call): ChatCompletionMessageFunctionToolCall => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
      }),
    );
  if (result.reasoning?.length) message.reasoning_content = result.reasoning.map((r) => r.text).join("");
  return {
    id: completionId(meta),
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: result.finishReason }],
    usage: toOpenAIUsage(result.usage),
  };
}

/**
 * Builds the SSE encoder for one streamed chat completion. Frames are `data: {chat.completion.chunk}`; the first
 * delta carries the role, tool-call fragments keep OpenAI's dense indices, `end` writes the finish chunk, the usage
 * chunk (only when the body asked for `stream_options.include_usage`) and `[DONE]`. An error is one
 * `data: {"error":…}` frame with no `[DONE]`, as OpenAI does.
 */
export function createOpenAIStreamEncoder(meta: ResponseMeta, body: OpenAIChatBody): StreamEncoder {
  const includeUsage = body.stream_options?.include_usage === true;
  const envelope: ChatCompletionChunk = {
    id: completionId(meta),
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: null }],
  };
  // The envelope is the same for every delta frame: serialise it once and splice each delta into the hole.
  const template = sseData(envelope);
  const hole = template.indexOf('"delta":{}') + '"delta":'.length;
  const head = template.slice(0, hole);
  const tail = template.slice(hole + 2);
  let role: "assistant" | undefined = "assistant";
  const positions = new Map<number, number>();

  const frame = (delta: Delta): string => {
    role = undefined;
    return head + JSON.stringify(delta) + tail;
  };

  return {
    open: () => "",
    chunk(c: ChatChunk): string {
      switch (c.type) {
        case "text":
          return c.text ? frame({ role, content: c.text }) : "";
        case "reasoning":
          return c.text ? frame({ role, reasoning_content: c.text }) : "";
        case "tool_call": {
          let index = positions.get(c.index);
          if (index === undefined) {
            index = positions.size;
            positions.set(c.index, index);
            const id = c.id ?? fallbackToolCallId(meta.id, index);
            const fn = { name: c.name ?? "", arguments: c.argumentsDelta };
            return frame({ role, tool_calls: [{ index, id, type: "function", function: fn }] });
          }
          return c.argumentsDelta ? frame({ tool_calls: [{ index, function: { arguments: c.argumentsDelta } }] }) : "";
        }
        default:
          return "";
      }
    },
    end(final: StreamEnd): string {
      const delta: Delta = role ? { role, content: "" } : {};
      let out = sseData({
        ...envelope,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: final.finishReason }],
      } satisfies ChatCompletionChunk);
      if (includeUsage)
        out += sseData({ ...envelope, choices: [], usage: toOpenAIUsage(final.usage) } satisfies ChatCompletionChunk);
      return `${out}data: [DONE]\n\n`;
    },
    error: (e: AppError) => sseData(renderOpenAIError(e)),
    ping: () => SSE_PING_COMMENT,
  };
}

/** Translates an embeddings body; token-array input is refused because providers differ in tokenisers. */
export function fromOpenAIEmbeddings(body: OpenAIEmbeddingsBody): EmbeddingRequest {
  const input = typeof body.input === "string" ? [body.input] : body.input;
  if (input.length === 0) throw invalidRequest("input: must not be empty", "input");
  if (input.some((item) => typeof item !== "string"))
    throw invalidRequest("input: token arrays are not supported; send text", "input");
  return { model: body.model, input: input as string[], dimensions: body.dimensions ?? undefined };
}

/** An embeddings list whose vectors are numbers, or base64 float32 (little-endian) when the client asked so. */
export type OpenAIEmbeddingsResponse = Omit<CreateEmbeddingResponse, "data"> & {
  data: (Omit<Embedding, "embedding"> & { embedding: number[] | string })[];
};

/** Encodes a vector the way OpenAI's `encoding_format: "base64"` does: float32 little-endian bytes in base64. */
export function float32Base64(vector: number[]): string {
  const bytes = new DataView(new ArrayBuffer(vector.length * 4));
  for (let i = 0; i < vector.length; i++) bytes.setFloat32(i * 4, vector[i]!, true);
  return Buffer.from(bytes.buffer).toString("base64");
}

/** Renders embedding vectors as OpenAI's list response. */
export function toOpenAIEmbeddings(
  result: EmbeddingResult,
  meta: ResponseMeta,
  body?: Pick<OpenAIEmbeddingsBody, "encoding_format">,
): OpenAIEmbeddingsResponse {
  const base64 = body?.encoding_format === "base64";
  return {
    object: "list",
    data: result.vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: base64 ? float32Base64(vector) : vector,
    })),
    model: meta.model,
    usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
  };
}

/** Translates an image generation body; OpenAI's documented default answer is a URL. */
export function fromOpenAIImages(body: OpenAIImagesBody): ImageRequest {
  return {
    model: body.model,
    prompt: body.prompt,
    n: body.n ?? 1,
    size: body.size ?? undefined,
    quality: body.quality ?? undefined,
    style: body.style ?? undefined,
    background: body.background ?? undefined,
    outputFormat: body.output_format ?? undefined,
    responseFormat: body.response_format ?? "url",
  };
}

/** Renders generated images as OpenAI's images response. */
export function toOpenAIImages(result: ImageResult, meta: ResponseMeta): ImagesResponse {
  return {
    created: meta.created,
    data: result.images.map((image) => (image.kind === "url" ? { url: image.url } : { b64_json: image.data })),
  };
}

/** Renders the models a key may use as `GET /v1/models`. */
export function toOpenAIModelList(models: ModelListing[]): { object: "list"; data: Model[] } {
  return {
    object: "list",
    data: models.map((m) => ({ id: m.id, object: "model", created: m.created ?? 0, owned_by: m.provider })),
  };
}

/**
 * @module What the three surface translators share: SSE frame writers, the stream-encoder contract, two schema
 * helpers, and the value codecs (base64, data URLs, tool-argument JSON, prompt totals) that are the same on every wire.
 */
import { type TSchema, t } from "elysia";
import { type AppError, invalidRequest } from "../../shared/errors";
import type { CacheControl, ChatChunk, ContentPart, FinishReason, Usage } from "../services/gateway/types";

/** What a response says about the call that produced it. */
export interface ResponseMeta {
  /** The call id, bare; each surface adds its own prefix (`chatcmpl-`, `msg_`). */
  id: string;
  /** The `provider/model` that served the call. */
  model: string;
  /** Unix seconds. */
  created: number;
  /** The settled debit in credits as a decimal string; undefined when billing is off. */
  credits?: string;
}

/** How a stream ended, known once the call is settled. */
export interface StreamEnd {
  usage: Usage;
  finishReason: FinishReason;
  /** The settled debit in credits as a decimal string; undefined when billing is off. */
  credits?: string;
}

/**
 * Turns canonical chunks into one surface's SSE text. Every method returns the exact bytes to write, possibly "".
 * Call order: `open()` once when the response starts, `chunk()` per canonical chunk in upstream order, `ping()`
 * whenever the line has been idle, then exactly one of `end()` (after settlement) or `error()`, then close.
 */
export interface StreamEncoder {
  open(): string;
  chunk(chunk: ChatChunk): string;
  end(final: StreamEnd): string;
  error(error: AppError): string;
  ping(): string;
}

/** Makes a body field optional and nullable: SDK clients send `null` for fields they leave unset. */
export const nullish = <T extends TSchema>(schema: T) => t.Optional(t.Nullable(schema));

/** Schema options for a body object that accepts unknown keys (clients send extras we do not read). */
export const OPEN_OBJECT = { additionalProperties: true } as const;

/** Writes one unnamed SSE frame carrying `payload` as JSON. */
export const sseData = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;

/** Writes one named SSE frame carrying `payload` as JSON. */
export const sseEvent = (event: string, payload: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;

/** An SSE comment line: every SSE parser skips it, so it keeps idle connections open without a visible event. */
export const SSE_PING_COMMENT = ": ping\n\n";

/** Names a tool call whose first upstream fragment carried no id, stable within the call. */
export const fallbackToolCallId = (callId: string, position: number): string => `call_${callId}_${position}`;

/** Counts the prompt the way OpenAI and AIGNE clients do: uncached input plus cache reads and writes. */
export const totalInputTokens = (usage: Usage): number =>
  usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Tells whether `text` is standard or URL-safe base64 (padding optional). */
export const isBase64 = (text: string): boolean => text.length % 4 !== 1 && BASE64.test(text);

/** Returns `data` when it is base64; otherwise rejects it, naming the field at `path`. */
export function requireBase64(data: string, path: string): string {
  if (!isBase64(data)) throw invalidRequest(`${path}: not valid base64 data`, path);
  return data;
}

/**
 * Splits a `data:` URL into media type and base64 payload; returns undefined for any other URL. A data URL that is
 * not base64-encoded is rejected, naming `path`.
 */
export function parseDataUrl(url: string, path: string): { mediaType: string; data: string } | undefined {
  if (!url.startsWith("data:")) return undefined;
  const comma = url.indexOf(",");
  const header = comma < 0 ? "" : url.slice(5, comma);
  if (!header.endsWith(";base64")) throw invalidRequest(`${path}: data URL must be base64-encoded`, path);
  const semicolon = header.indexOf(";");
  return {
    mediaType: header.slice(0, semicolon) || "application/octet-stream",
    data: requireBase64(url.slice(comma + 1), path),
  };
}

/** A cache mark as the Anthropic and AIGNE wires spell it (same keys on both). */
export type WireCacheControl = { type: "ephemeral"; ttl?: "5m" | "1h" } | null | undefined;

/** Converts a wire cache mark to the canonical one; absent or null stays undefined. */
export const toCacheControl = (c: WireCacheControl): CacheControl | undefined =>
  c ? (c.ttl ? { type: "ephemeral", ttl: c.ttl } : { type: "ephemeral" }) : undefined;

/** Marks the last of `parts` with a block- or message-level cache mark, which applies to the content's end. */
export function cacheLast(parts: ContentPart[], c: WireCacheControl): ContentPart[] {
  const cache = toCacheControl(c);
  const last = parts.length - 1;
  if (cache && last >= 0) parts[last] = { ...parts[last]!, cacheControl: cache };
  return parts;
}

/** Builds the canonical part for inline binary content: images become image parts, anything else a file part. */
export function binaryPart(mediaType: string, data: string, filename?: string): ContentPart {
  if (mediaType.startsWith("image/")) return { type: "image", source: { kind: "base64", mediaType, data } };
  return filename === undefined ? { type: "file", mediaType, data } : { type: "file", mediaType, data, filename };
}

/**
 * Turns a wire tool input (an object, or JSON text from lenient clients) into canonical argument JSON text.
 * Text that is not JSON is rejected, naming `path`.
 */
export function argumentsText(value: unknown, path: string): string {
  if (typeof value !== "string") return JSON.stringify(value ?? {});
  if (value.trim() === "") return "{}";
  try {
    JSON.parse(value);
  } catch {
    throw invalidRequest(`${path}: not valid JSON`, path);
  }
  return value;
}

/**
 * Parses canonical argument JSON text into the object the AIGNE and Anthropic wires carry. Blank text is `{}`;
 * text the model left unparsable is passed on as is, so the client sees what the model produced.
 */
export function argumentsObject(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * @module Token estimates: about four characters per token when an upstream reports no usage, and a deliberate
 * overestimate (two UTF-8 bytes per token, generous for images) for credit holds, which must never fall short.
 */
import type { ChatRequest } from "./types";

const CHARS_PER_TOKEN = 4;
const PER_MESSAGE_OVERHEAD = 4;

/** Estimates the tokens of a text. */
export function estimateTextTokens(text: string): number {
  return text ? Math.ceil(text.length / CHARS_PER_TOKEN) : 0;
}

/** Estimates the prompt tokens of a chat request: message texts, tool definitions and a per-message overhead. */
export function estimateRequestTokens(request: ChatRequest): number {
  let tokens = 0;
  for (const message of request.messages) {
    tokens += PER_MESSAGE_OVERHEAD;
    for (const part of message.content) tokens += part.type === "text" ? estimateTextTokens(part.text) : 85;
    for (const call of message.toolCalls ?? []) tokens += estimateTextTokens(call.name + call.arguments);
  }
  for (const tool of request.tools ?? []) {
    tokens += estimateTextTokens(tool.name + (tool.description ?? "") + JSON.stringify(tool.parameters));
  }
  return tokens;
}

const HOLD_BYTES_PER_TOKEN = 2;
const HOLD_TOKENS_PER_ATTACHMENT = 1600;

/** An upper estimate of a request's prompt tokens, for the credit hold. */
export function holdInputTokens(request: ChatRequest): number {
  let bytes = 0;
  let attachments = 0;
  for (const message of request.messages) {
    bytes += 16;
    for (const part of message.content) {
      if (part.type === "text") bytes += Buffer.byteLength(part.text);
      else attachments += 1;
    }
    for (const call of message.toolCalls ?? [])
      bytes += Buffer.byteLength(call.name) + Buffer.byteLength(call.arguments);
  }
  for (const tool of request.tools ?? []) bytes += Buffer.byteLength(JSON.stringify(tool));
  if (request.responseFormat?.type === "json_schema")
    bytes += Buffer.byteLength(JSON.stringify(request.responseFormat.schema));
  return Math.ceil(bytes / HOLD_BYTES_PER_TOKEN) + attachments * HOLD_TOKENS_PER_ATTACHMENT;
}

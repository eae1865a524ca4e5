/** @module Token estimates for when an upstream reports no usage: about four characters per token, rounded up. */
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

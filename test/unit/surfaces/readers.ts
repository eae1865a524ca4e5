/** @module Reads surface output back for tests: SSE frame by frame, through each wire's own client, and thrown errors. */

import { AgentResponseStreamParser, EventStreamParser } from "@aigne/core/utils/event-stream.js";
import { Stream as AnthropicStream } from "@anthropic-ai/sdk/core/streaming";
import { MessageStream } from "@anthropic-ai/sdk/lib/MessageStream";
import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import { Stream as OpenAIStream } from "openai/core/streaming";
import { ChatCompletionStream } from "openai/lib/ChatCompletionStream";
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";
import { AppError } from "../../../src/shared/errors";

/** Runs `fn` and returns the AppError it threw; fails when it returns or throws anything else. */
export function thrownBy(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError, nothing was thrown");
}

/** One SSE frame: an optional event name, and a data line or a comment. */
export interface Frame {
  event?: string;
  data?: string;
  comment?: string;
}

/** Splits SSE text into frames, failing on a frame without its blank line or on a line of an unknown kind. */
export function splitFrames(text: string): Frame[] {
  if (text !== "" && !text.endsWith("\n\n")) throw new Error(`SSE text does not end with a blank line: ${text}`);
  return text
    .split("\n\n")
    .filter((block) => block !== "")
    .map((block) => {
      const frame: Frame = {};
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) frame.event = line.slice(7);
        else if (line.startsWith("data: ")) frame.data = line.slice(6);
        else if (line.startsWith(": ")) frame.comment = line.slice(2);
        else throw new Error(`unexpected SSE line: ${line}`);
      }
      return frame;
    });
}

/** Splits SSE text into frames and parses each data line as JSON (OpenAI's `[DONE]` stays a string). */
export function jsonFrames(text: string): { event?: string; json: unknown }[] {
  return splitFrames(text)
    .filter((frame) => frame.data !== undefined)
    .map((frame) => ({ event: frame.event, json: frame.data === "[DONE]" ? "[DONE]" : JSON.parse(frame.data!) }));
}

const response = (text: string) => new Response(text, { headers: { "content-type": "text/event-stream" } });

/** Reads an OpenAI stream with the official SDK and returns the chunks it yielded and the completion it assembles. */
export async function readOpenAIStream(
  text: string,
): Promise<{ chunks: ChatCompletionChunk[]; final: ChatCompletion }> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of OpenAIStream.fromSSEResponse<ChatCompletionChunk>(response(text), new AbortController()))
    chunks.push(chunk);
  const final = await ChatCompletionStream.fromReadableStream(
    OpenAIStream.fromSSEResponse(response(text), new AbortController()).toReadableStream(),
  ).finalChatCompletion();
  return { chunks, final };
}

/** Reads an OpenAI stream with the official SDK until it throws, and returns what it threw. */
export async function openAIStreamError(text: string): Promise<unknown> {
  try {
    for await (const _ of OpenAIStream.fromSSEResponse(response(text), new AbortController()));
  } catch (error) {
    return error;
  }
  throw new Error("the stream did not fail");
}

/** Reads an Anthropic stream with the official SDK and returns its events and the message it assembles. */
export async function readAnthropicStream(text: string): Promise<{ events: RawMessageStreamEvent[]; final: Message }> {
  const events: RawMessageStreamEvent[] = [];
  for await (const event of AnthropicStream.fromSSEResponse<RawMessageStreamEvent>(
    response(text),
    new AbortController(),
  ))
    events.push(event);
  const final = await MessageStream.fromReadableStream(
    AnthropicStream.fromSSEResponse(response(text), new AbortController()).toReadableStream(),
  ).finalMessage();
  return { events, final: final as Message };
}

/** Reads an Anthropic stream with the official SDK until it throws, and returns what it threw. */
export async function anthropicStreamError(text: string): Promise<unknown> {
  try {
    for await (const _ of AnthropicStream.fromSSEResponse(response(text), new AbortController()));
  } catch (error) {
    return error;
  }
  throw new Error("the stream did not fail");
}

/** Merges an AIGNE stream exactly as `@aigne/transport`'s client does and returns the output object. */
export async function readAigneStream(text: string): Promise<Record<string, unknown>> {
  const stream = new ReadableStream<string>({
    start(controller) {
      controller.enqueue(text);
      controller.close();
    },
  })
    .pipeThrough(new EventStreamParser())
    .pipeThrough(new AgentResponseStreamParser());
  let output: Record<string, unknown> = {};
  for await (const chunk of stream as unknown as AsyncIterable<{ delta: { json: Record<string, unknown> } }>)
    output = chunk.delta.json;
  return output;
}

/** @module Small helpers shared by the provider tests: targets, stream collection and failure capture. */

import { type ProviderTarget, UpstreamFailure } from "../../../src/server/providers/types";
import type { ChatChunk, Message } from "../../../src/server/services/gateway/types";

/** A key distinctive enough that finding it anywhere in a message is a leak. */
export const FAKE_KEY = "sk-fake-LEAKCANARY-0123456789abcdef";

/** A target at `baseUrl` with the fake key, a generous timeout and a model. */
export function targetAt(baseUrl: string, overrides: Partial<ProviderTarget> = {}): ProviderTarget {
  return { baseUrl, apiKey: FAKE_KEY, model: "mock-model", timeoutMs: 5000, ...overrides };
}

/** A signal that never aborts. */
export const NEVER = new AbortController().signal;

/** A user turn with one text part. */
export function userText(text: string): Message {
  return { role: "user", content: [{ type: "text", text }] };
}

/** Reads a whole chunk stream. */
export async function collect(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Reads a stream until it throws; returns what arrived and the error. */
export async function collectUntilError(
  stream: AsyncIterable<ChatChunk>,
): Promise<{ chunks: ChatChunk[]; error: unknown }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (error) {
    return { chunks, error };
  }
  throw new Error("the stream ended without an error");
}

/** The concatenated text of text chunks. */
export function textOf(chunks: ChatChunk[]): string {
  return chunks.map((chunk) => (chunk.type === "text" ? chunk.text : "")).join("");
}

/** Reassembles tool-call fragments by index into whole calls. */
export function toolCallsOf(chunks: ChatChunk[]): { id?: string; name?: string; arguments: string }[] {
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  for (const chunk of chunks) {
    if (chunk.type !== "tool_call") continue;
    calls[chunk.index] ??= { arguments: "" };
    const call = calls[chunk.index]!;
    if (chunk.id) call.id = chunk.id;
    if (chunk.name) call.name = chunk.name;
    call.arguments += chunk.argumentsDelta;
  }
  return calls;
}

/** Awaits a promise that must reject with an UpstreamFailure and returns it. */
export async function failureOf(promise: Promise<unknown>): Promise<UpstreamFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamFailure) return error;
    throw error;
  }
  throw new Error("expected an UpstreamFailure, but the call succeeded");
}

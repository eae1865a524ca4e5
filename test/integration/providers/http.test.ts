/** @module Shared upstream HTTP: the SSE reader, failure classification, Retry-After, key scrubbing, the registry. */
import { describe, expect, test } from "bun:test";
import {
  classifyErrorType,
  classifyStatus,
  parseRetryAfter,
  readSse,
  type SseEvent,
  scrub,
} from "../../../src/server/providers/http";
import { providerFor } from "../../../src/server/providers/index";
import { FAKE_KEY, NEVER } from "./helpers";

/** A response whose body arrives in exactly these byte chunks. */
function chunked(chunks: (string | Uint8Array)[]): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
  return new Response(stream);
}

async function events(chunks: (string | Uint8Array)[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of readSse(chunked(chunks), { label: "test", signal: NEVER })) out.push(event);
  return out;
}

describe("readSse", () => {
  test("reads event names and data, and ignores comments, ids and retry fields", async () => {
    const body = ': keep-alive\nevent: message_start\ndata: {"a":1}\n\nid: 7\nretry: 100\ndata: plain\n\n';
    expect(await events([body])).toEqual([
      { event: "message_start", data: '{"a":1}' },
      { event: "message", data: "plain" },
    ]);
  });

  test("handles CRLF and lone CR line ends, even with a CRLF split across chunks", async () => {
    expect(await events(["data: one\r", "\n\r\ndata: two\r\rdata: three\n\n"])).toEqual([
      { event: "message", data: "one" },
      { event: "message", data: "two" },
      { event: "message", data: "three" },
    ]);
  });

  test("joins multi-line data with newlines and keeps a value without the optional space", async () => {
    expect(await events(["data: first\ndata:second\ndata\n\n"])).toEqual([
      { event: "message", data: "first\nsecond\n" },
    ]);
  });

  test("reassembles lines and multi-byte characters split across chunks", async () => {
    const bytes = new TextEncoder().encode('data: {"t":"héllo ✓"}\n\n');
    const pieces = [bytes.slice(0, 3), bytes.slice(3, 14), bytes.slice(14, 20), bytes.slice(20)];
    expect(await events(pieces)).toEqual([{ event: "message", data: '{"t":"héllo ✓"}' }]);
  });

  test("delivers a last event without its blank line but drops an unterminated line", async () => {
    expect(await events(["data: done\n"])).toEqual([{ event: "message", data: "done" }]);
    expect(await events(["data: complete\n\ndata: cut sho"])).toEqual([{ event: "message", data: "complete" }]);
  });
});

describe("failure classification", () => {
  test.each([
    [401, "auth"],
    [402, "auth"],
    [403, "auth"],
    [404, "not_found"],
    [408, "timeout"],
    [409, "bad_request"],
    [413, "bad_request"],
    [429, "rate_limit"],
    [500, "server"],
    [502, "server"],
    [503, "overloaded"],
    [504, "server"],
    [529, "overloaded"],
  ] as const)("HTTP %d is %s", (status, kind) => {
    expect(classifyStatus(status)).toBe(kind);
  });

  test("in-stream error types map to failure kinds", () => {
    expect(classifyErrorType("overloaded_error")).toBe("overloaded");
    expect(classifyErrorType("rate_limit_error")).toBe("rate_limit");
    expect(classifyErrorType("authentication_error")).toBe("auth");
    expect(classifyErrorType("invalid_request_error")).toBe("bad_request");
    expect(classifyErrorType("api_error")).toBe("server");
  });

  test("Retry-After is read as seconds, as an HTTP date, or from retry-after-ms", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter(new Headers({ "retry-after": "12" }), now)).toBe(12);
    expect(parseRetryAfter(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:01:00 GMT" }), now)).toBe(60);
    expect(parseRetryAfter(new Headers({ "retry-after-ms": "1500" }), now)).toBe(2);
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
  });

  test("scrub removes the key, key= URL credentials and bearer tokens", () => {
    const text = `bad key ${FAKE_KEY} at https://x.test/v1?alt=sse&key=AIzaSecretSecretSecretSecret1 with Bearer abc.def`;
    const scrubbed = scrub(text, FAKE_KEY);
    expect(scrubbed).toBe("bad key [redacted] at https://x.test/v1?alt=sse&key=[redacted] with Bearer [redacted]");
  });
});

describe("providerFor", () => {
  test("returns the provider for each configured family", () => {
    for (const type of ["openai", "openai-compatible", "anthropic", "gemini"] as const) {
      expect(providerFor(type).type).toBe(type);
    }
  });
});

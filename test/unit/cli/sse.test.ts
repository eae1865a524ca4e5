/** @module The CLI's SSE reader: frames split anywhere, named events, comments, CRLF. */
import { describe, expect, test } from "bun:test";
import { parseSseBlock, readSse, type SseEvent } from "../../../src/cli/sse";

/** A body that delivers `text` in chunks of `size` bytes. */
function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
      controller.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(body)) events.push(event);
  return events;
}

const STREAM = [
  `data: {"delta":{"json":{"model":"openai/gpt-4o-mini"}}}`,
  ": ping",
  `data: {"delta":{"text":{"text":"Héllo"}}}`,
  'event: error\ndata: {"message":"upstream failed"}',
].join("\n\n");

describe("readSse", () => {
  test("yields the same events however the bytes are chunked, skipping comments", async () => {
    const whole = await collect(chunked(`${STREAM}\n\n`, 1 << 16));
    expect(whole).toEqual([
      { event: undefined, data: `{"delta":{"json":{"model":"openai/gpt-4o-mini"}}}` },
      { event: undefined, data: `{"delta":{"text":{"text":"Héllo"}}}` },
      { event: "error", data: `{"message":"upstream failed"}` },
    ]);
    for (const size of [1, 2, 7]) expect(await collect(chunked(`${STREAM}\n\n`, size))).toEqual(whole);
  });

  test("accepts CRLF line ends and a last event without the closing blank line", async () => {
    const events = await collect(chunked("data: a\r\n\r\ndata: b\r\ndata: c", 3));
    expect(events).toEqual([
      { event: undefined, data: "a" },
      { event: undefined, data: "b\nc" },
    ]);
  });
});

describe("parseSseBlock", () => {
  test("a comment-only block is nothing; a field without a space keeps its value", () => {
    expect(parseSseBlock(": ping")).toBeUndefined();
    expect(parseSseBlock("data:x")).toEqual({ event: undefined, data: "x" });
  });
});

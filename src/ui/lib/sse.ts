/** @module Reads a fetch response body as Server-Sent Events, for streams that need POST (EventSource only GETs). */

/** One SSE frame: its `event` name ("message" when unnamed) and its joined `data` lines. */
export interface SseFrame {
  event: string;
  data: string;
}

/** Yields the frames of an SSE body as they arrive; comments and frames without data are skipped. */
export async function* sseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  let buffer = "";
  // A reader rather than `for await`: Safari cannot iterate a ReadableStream yet.
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame) yield frame;
      end = buffer.indexOf("\n\n");
    }
  }
  const last = parseFrame(buffer);
  if (last) yield last;
}

function parseFrame(text: string): SseFrame | undefined {
  let event = "message";
  const data: string[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { event, data: data.join("\n") } : undefined;
}

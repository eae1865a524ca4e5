/** @module Reads a server-sent event stream into events as they arrive: named events, multi-line data, no comments. */

/** One event: its name (absent for plain data frames) and its data lines joined by newlines. */
export interface SseEvent {
  event?: string;
  data: string;
}

/** Parses one event block (the lines between blank lines); comment-only blocks yield undefined. */
export function parseSseBlock(block: string): SseEvent | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n|\r/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0 && event === undefined) return undefined;
  return { event, data: data.join("\n") };
}

/** Yields the events of a streamed body in order, however the bytes are split into chunks. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    const blocks = buffer.split(/\r?\n\r?\n|\r\r/);
    buffer = blocks.pop() ?? "";
    for (const block of blocks) {
      const event = parseSseBlock(block);
      if (event) yield event;
    }
  }
  const last = parseSseBlock(buffer + decoder.decode());
  if (last) yield last;
}

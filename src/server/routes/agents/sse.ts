/** @module Turns a run stream into an SSE response that produces a frame only when the client has read the last. */
import type { RunStream } from "../../services/agents/run-stream";

const encoder = new TextEncoder();

/** The SSE response of §5.24; `release` runs once when the stream ends for any reason. */
export function sseResponse(stream: RunStream, signal: AbortSignal, release: () => void): Response {
  const end = () => {
    stream.close();
    release();
  };
  signal.addEventListener("abort", end, { once: true });
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const frame = await stream.next();
        if (frame === null) {
          end();
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(frame));
      },
      cancel: end,
    },
    // Pull-based with no read-ahead: a slow client holds back production instead of growing a queue.
    { highWaterMark: 0 },
  );
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}

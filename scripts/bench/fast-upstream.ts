/**
 * @module A lean, fast OpenAI chat upstream for the gateway benchmark, run as its own process:
 * `bun scripts/bench/fast-upstream.ts` prints `listening on http://127.0.0.1:<port>` and serves until SIGTERM.
 *
 * `POST {prefix}/v1/chat/completions` answers from pre-built bytes: a chat.completion JSON, or (when the body asks
 * for `"stream":true`) an SSE stream whose first frame already carries content, ending in a usage frame and
 * `data: [DONE]`. With no prefix the whole stream is one write, at once. With the prefix `/ttft<ms>` the headers go
 * at once, the first frame after `<ms>` ms and the rest `<ms>` ms later, so a gateway that buffered the stream
 * would show it. `GET /healthz` answers 200. The one thing kept is when the last stream's first frame went out
 * (`performance.timeOrigin + performance.now()`, epoch milliseconds to the microsecond, comparable across processes
 * on one machine), answered by `GET /last-first-frame`, so the runner can time a gateway's forwarding alone.
 */

const MODEL = "gpt-4o-mini";
const CREATED = 1_700_000_000;
const USAGE = { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 };

const completion = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: CREATED,
  model: MODEL,
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Hello from the fast mock.", refusal: null },
      logprobs: null,
      finish_reason: "stop",
    },
  ],
  usage: USAGE,
});

const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: CREATED, model: MODEL, choices, ...extra })}\n\n`;
const delta = (value: Record<string, unknown>, finish: string | null = null) => [
  { index: 0, delta: value, logprobs: null, finish_reason: finish },
];

const firstFrame = chunk(delta({ role: "assistant", content: "Hello" }));
const restFrames = [
  chunk(delta({ content: " from" })),
  chunk(delta({ content: " the fast mock." })),
  chunk(delta({}, "stop")),
  chunk([], { usage: USAGE }),
  "data: [DONE]\n\n",
].join("");

const encoder = new TextEncoder();
const firstBytes = encoder.encode(firstFrame);
const restBytes = encoder.encode(restFrames);
const wholeStream = encoder.encode(firstFrame + restFrames);
const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/** When the last stream's first frame was handed to the socket, in epoch milliseconds. */
let lastFirstFrameAt = 0;

/** A stream that sends its first frame after `delayMs` and the rest `delayMs` later. */
function delayedStream(delayMs: number): Response {
  let step = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await Bun.sleep(delayMs);
      if (step++ === 0) {
        lastFirstFrameAt = performance.timeOrigin + performance.now();
        return controller.enqueue(firstBytes);
      }
      controller.enqueue(restBytes);
      controller.close();
    },
  });
  return new Response(body, { headers: SSE_HEADERS });
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: 0,
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/healthz") return new Response("ok");
    if (path === "/last-first-frame") return new Response(String(lastFirstFrameAt));
    const match = /^(?:\/ttft(\d+))?\/v1\/chat\/completions$/.exec(path);
    if (!match || request.method !== "POST") return new Response("not found", { status: 404 });
    const text = await request.text();
    // Every client here serialises with JSON.stringify (or the benchmark's own literal), so no spaces.
    if (!text.includes('"stream":true')) return new Response(completion, { headers: JSON_HEADERS });
    const delayMs = Number(match[1] ?? 0);
    if (delayMs > 0) return delayedStream(delayMs);
    lastFirstFrameAt = performance.timeOrigin + performance.now();
    return new Response(wholeStream, { headers: SSE_HEADERS });
  },
});

console.log(`listening on http://127.0.0.1:${server.port}`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});

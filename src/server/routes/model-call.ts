/** @module What every model-calling route shares: the call context, response headers, and the SSE responder. */
import type { AppError } from "../../shared/errors";
import { monotonicUlids } from "../../shared/ids";
import { formatCredits } from "../../shared/money";
import type { Caller } from "../auth";
import type { AppDeps } from "../deps";
import { toAppError } from "../errors";
import type { CallContext, ChatStream, Served, Settlement } from "../services/gateway/engine";
import type { ChatChunk } from "../services/gateway/types";
import type { StreamEncoder } from "./sse";

const PING_MS = 15_000;
const encoder = new TextEncoder();

/**
 * Makes the engine's call context builder for one surface: ids, attribution (`x-aigne-hub-client-did`), the key's
 * limits, the public base URL and the abort signal.
 */
export function callContexts(deps: Pick<AppDeps, "requests" | "publicBaseUrl">, surface: string) {
  const newCallId = monotonicUlids();
  return (request: Request, caller: Caller): CallContext => ({
    callId: newCallId(),
    userId: caller.user.id,
    keyId: caller.keyId ?? null,
    appId: request.headers.get("x-aigne-hub-client-did")?.slice(0, 256) || null,
    requestId: deps.requests.idOf(request),
    surface,
    signal: request.signal,
    limits: caller.limits,
    // Read only for a 402's top-up link, so it is not derived from the URL on every call.
    get baseUrl() {
      return deps.publicBaseUrl(request);
    },
  });
}

/** The settled debit as a decimal string in credits, or undefined when billing is off. */
export function creditsOf(settlement: Settlement): string | undefined {
  return settlement.creditsEnabled ? formatCredits(settlement.cost) : undefined;
}

/** Headers that tell a client which provider served it and, when billed, what it cost. */
export function servedHeaders(served: Served, settlement?: Settlement): Record<string, string> {
  const headers: Record<string, string> = { "x-aigne-hub-provider": served.provider };
  const credits = settlement && creditsOf(settlement);
  if (credits !== undefined) headers["x-aigne-hub-credits"] = credits;
  return headers;
}

/**
 * Streams a chat as SSE through a surface's encoder. The response starts at once (with the encoder's `open()`);
 * `stream` may still be waiting for the first upstream byte. A ping goes out whenever `pingMs` passed without a write,
 * to keep an idle line open; the final frame is written after settlement, so it can carry the billed credits. A client
 * that leaves cancels the body, which lets the engine drain and settle.
 */
export function sseResponse(input: {
  stream: Promise<ChatStream>;
  encoder: StreamEncoder;
  requestId: string;
  headers?: Record<string, string>;
  pingMs?: number;
}): Response {
  const { encoder: frames, pingMs = PING_MS } = input;
  let iterator: AsyncIterator<ChatChunk> | undefined;
  let started: ChatStream | undefined;
  let done = false;
  let wrote = false;
  let pinger: ReturnType<typeof setInterval> | undefined;
  // A client may leave before the stream starts; the engine settles that call, so the rejection needs no handler here.
  input.stream.catch(() => undefined);

  const write = (controller: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    controller.enqueue(encoder.encode(text));
    wrote = true;
  };

  const stop = () => {
    done = true;
    clearInterval(pinger);
  };

  const finish = (controller: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    if (text) write(controller, text);
    stop();
    controller.close();
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const head = frames.open();
      if (head) write(controller, head);
      // One timer per stream rather than one per awaited chunk: the chunks' path stays free of timers and races.
      pinger = setInterval(() => {
        if (!wrote && !done) controller.enqueue(encoder.encode(frames.ping()));
        wrote = false;
      }, pingMs);
    },
    // Stream rules call pull again only after something was enqueued, so this loops until a frame is written.
    async pull(controller) {
      if (!started) {
        try {
          started = await input.stream;
        } catch (error) {
          if (!done) finish(controller, frames.error(toAppError("UNKNOWN", error)));
          return;
        }
        iterator = started.chunks[Symbol.asyncIterator]();
      }
      while (!done) {
        const step = await iterator!.next();
        if (done) return;
        if (!step.done) {
          const text = frames.chunk(step.value);
          if (!text) continue;
          write(controller, text);
          return;
        }
        const settlement = await started.settled;
        if (done) return;
        finish(
          controller,
          settlement.error
            ? frames.error(settlement.error as AppError)
            : frames.end({
                usage: settlement.usage,
                finishReason: settlement.finishReason,
                credits: creditsOf(settlement),
              }),
        );
      }
    },
    cancel() {
      stop();
      void iterator?.return?.(undefined);
    },
  });

  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
      "x-request-id": input.requestId,
      ...input.headers,
    },
  });
}

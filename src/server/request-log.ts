/** @module Gives every request an id (echoed as x-request-id), enforces the body limit, logs one line per request. */
import { type AnyElysia, Elysia } from "elysia";
import { type AppError, describeError, tooLarge } from "../shared/errors";
import { monotonicUlids } from "../shared/ids";
import type { Logger } from "./log";

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Per-request bookkeeping shared by the access log and the error hooks. */
export interface RequestLog {
  /** The id of a request (assigned on arrival). */
  idOf(request: Request): string;
  /** Logs a 5xx with its cause once, under the request's id. */
  failure(request: Request, error: AppError, cause: unknown): void;
  /** The Elysia plugin that assigns ids, checks the body size and writes the access log. */
  plugin: AnyElysia;
}

/** Counts a streamed body through a copy, leaving the original for the parser; cancels both once past the limit. */
async function assertStreamWithinLimit(request: Request, maxBodyBytes: number): Promise<void> {
  const copy = request.clone().body!.getReader();
  let total = 0;
  for (let read = await copy.read(); !read.done; read = await copy.read()) {
    total += read.value.byteLength;
    if (total <= maxBodyBytes) continue;
    // A tee half's cancel settles only once the other half is cancelled too, and then the upload stops.
    await Promise.all([copy.cancel(), request.body?.cancel()]);
    throw tooLarge(`Request body too large (limit ${maxBodyBytes} bytes)`);
  }
}

/** The path of an absolute request URL, without parsing all of it. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.indexOf("?", start);
  return end < 0 ? url.slice(start) : url.slice(start, end);
}

/** Creates the request log for one app. */
export function createRequestLog(options: { log: Logger; maxBodyBytes: number }): RequestLog {
  const { log, maxBodyBytes } = options;
  const started = new WeakMap<Request, { id: string; at: number }>();
  const newRequestId = monotonicUlids();

  const entry = (request: Request) => {
    let found = started.get(request);
    if (!found) {
      const given = request.headers.get("x-request-id");
      found = { id: given && CLIENT_REQUEST_ID.test(given) ? given : newRequestId(), at: performance.now() };
      started.set(request, found);
    }
    return found;
  };

  const plugin = new Elysia({ name: "request-log" })
    .onRequest(async ({ request, set }) => {
      set.headers["x-request-id"] = entry(request).id;
      const declared = request.headers.get("content-length");
      if (Number(declared ?? 0) > maxBodyBytes) throw tooLarge(`Request body too large (limit ${maxBodyBytes} bytes)`);
      // A streamed body declares no length, so it is counted as it arrives.
      if (declared === null && request.body) await assertStreamWithinLimit(request, maxBodyBytes);
    })
    .onAfterResponse({ as: "global" }, ({ request, set, responseValue }) => {
      const { id, at } = entry(request);
      const status = responseValue instanceof Response ? responseValue.status : Number(set.status ?? 200);
      log.info("request", {
        requestId: id,
        method: request.method,
        path: pathOf(request.url),
        status,
        ms: Math.round((performance.now() - at) * 10) / 10,
      });
    });

  return {
    idOf: (request) => entry(request).id,
    failure(request, error, cause) {
      log.error("request failed", {
        requestId: entry(request).id,
        type: error.type,
        cause: describeError(cause),
      });
    },
    plugin,
  };
}

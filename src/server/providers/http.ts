/**
 * @module Upstream HTTP shared by every provider: timed requests (plain-http ones on the hub's own keep-alive client,
 * the rest on fetch), failure classification, key scrubbing, SSE reading.
 */
import { PlainHttpPool } from "./plain-http";
import { type ProviderTarget, UpstreamFailure, type UpstreamFailureKind } from "./types";

const plainHttp = new PlainHttpPool();
let plainHttpViaFetch = false;

/** With an HTTP proxy configured, plain-http upstreams go through fetch too, since it is what honours the proxy. */
export function sendPlainHttpViaFetch(viaFetch: boolean): void {
  plainHttpViaFetch = viaFetch;
}

/** One upstream call: where, as whom, what, and the caller's signal. */
export interface UpstreamCall {
  /** The provider family, used to prefix messages ("openai upstream …"). */
  label: string;
  url: string;
  method?: "GET" | "POST";
  headers: Record<string, string>;
  /** Sent as JSON when present. */
  body?: unknown;
  target: Pick<ProviderTarget, "apiKey" | "timeoutMs">;
  signal: AbortSignal;
}

/** The longest upstream error text a message carries; error pages can be whole HTML documents. */
const MAX_DETAIL_CHARS = 300;

/**
 * Sends one upstream request and returns its 2xx response. Fails with UpstreamFailure "timeout" when no response
 * headers arrive within `target.timeoutMs`, "network" when the connection fails, and the classified kind on a non-2xx.
 * An abort of `signal` ends the request at once (also while the body is read) and rethrows the signal's reason.
 */
export async function upstreamFetch(call: UpstreamCall): Promise<Response> {
  const { label, target, signal } = call;
  if (signal.aborted) throw signal.reason;
  const headersTimeout = new AbortController();
  const timer = setTimeout(() => headersTimeout.abort(), target.timeoutMs);
  let response: Response;
  try {
    const request = {
      method: call.method ?? "POST",
      headers: call.body === undefined ? call.headers : { "content-type": "application/json", ...call.headers },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: AbortSignal.any([signal, headersTimeout.signal]),
    };
    response =
      call.url.startsWith("http://") && !plainHttpViaFetch
        ? await plainHttp.request({ ...request, url: new URL(call.url) })
        : await fetch(call.url, request);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (headersTimeout.signal.aborted) {
      throw new UpstreamFailure("timeout", `${label} upstream sent no response within ${target.timeoutMs} ms`);
    }
    throw new UpstreamFailure("network", `${label} upstream unreachable: ${scrub(errorText(error), target.apiKey)}`);
  } finally {
    clearTimeout(timer);
  }
  if (response.ok) return response;
  throw await failureFromResponse(response, call);
}

/** Reads a non-2xx response into an UpstreamFailure with a classified kind, the status and any Retry-After. */
export async function failureFromResponse(
  response: Response,
  call: Pick<UpstreamCall, "label" | "target">,
): Promise<UpstreamFailure> {
  const text = await response.text().catch(() => "");
  const detail = upstreamErrorDetail(text);
  const kind = classifyStatus(response.status, detail.code);
  const message = `${call.label} upstream returned ${response.status}: ${scrub(detail.message || response.statusText || "no details", call.target.apiKey)}`;
  return new UpstreamFailure(kind, message, response.status, parseRetryAfter(response.headers));
}

/** Maps an HTTP status (and the upstream's error code, when it tells more) to a failure kind (gateway-notes §4). */
export function classifyStatus(status: number, code = ""): UpstreamFailureKind {
  // A quota or billing error is the credential's fault whatever status carries it (OpenAI uses 429).
  if (/insufficient_quota|billing|API_KEY_INVALID/i.test(code)) return "auth";
  if (status === 401 || status === 402 || status === 403) return "auth";
  if (status === 429) return "rate_limit";
  if (status === 408) return "timeout";
  if (status === 503 || status === 529) return "overloaded";
  if (status === 404) return "not_found";
  if (status >= 500) return "server";
  return "bad_request";
}

/** Maps an error `type`/`status` string sent inside a stream (Anthropic, OpenAI, Gemini) to a failure kind. */
export function classifyErrorType(type: string): UpstreamFailureKind {
  if (/overloaded|unavailable/i.test(type)) return "overloaded";
  if (/rate_limit|resource_exhausted/i.test(type)) return "rate_limit";
  if (/authentication|permission|billing|insufficient_quota|unauthenticated/i.test(type)) return "auth";
  if (/not_found/i.test(type)) return "not_found";
  if (/timeout|deadline/i.test(type)) return "timeout";
  if (/invalid|too_large|bad_request/i.test(type)) return "bad_request";
  return "server";
}

/** Pulls a message and a machine code out of an upstream error body (`{error:{message,type,code,status}}` and kin). */
export function upstreamErrorDetail(text: string): { message: string; code: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.slice(0, MAX_DETAIL_CHARS).trim(), code: "" };
  }
  const body = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, unknown> | null;
  const error = body?.error ?? body;
  if (typeof error === "string") return { message: error.slice(0, MAX_DETAIL_CHARS), code: "" };
  const fields = (error ?? {}) as Record<string, unknown>;
  const message = String(fields.message ?? fields.detail ?? "").slice(0, MAX_DETAIL_CHARS);
  // Gemini hides "API_KEY_INVALID" in details[].reason under a plain 400.
  const reasons = JSON.stringify(fields.details ?? "");
  const code = [fields.code, fields.type, fields.status, reasons].filter((part) => typeof part === "string").join(" ");
  return { message, code };
}

/** Parses Retry-After (delta-seconds or an HTTP-date) or retry-after-ms into whole seconds, rounded up. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get("retry-after");
  if (value) {
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
    const date = Date.parse(value);
    if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - now) / 1000));
  }
  const millis = Number(headers.get("retry-after-ms"));
  return millis > 0 ? Math.ceil(millis / 1000) : undefined;
}

/** Removes the API key, `key=`-style URL credentials and bearer tokens from a text that may reach a caller. */
export function scrub(text: string, apiKey: string): string {
  const withoutKey = apiKey.length >= 4 ? text.replaceAll(apiKey, "[redacted]") : text;
  return withoutKey
    .replace(/([?&;]\s*(?:key|api[-_]?key|access[-_]?token|token|sig|signature)=)[^&\s"'<>]+/gi, "$1[redacted]")
    .replace(/\bBearer\s+[^\s"',]+/gi, "Bearer [redacted]")
    .replace(/\b(?:sk-[A-Za-z0-9_-]{12,}|AIza[0-9A-Za-z_-]{20,})/g, "[redacted]");
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Joins a configured base URL and a path, tolerating a trailing slash on the base. */
export function joinUrl(base: string, path: string): string {
  return base.endsWith("/") ? base.slice(0, -1) + path : base + path;
}

/** One server-sent event: its `event:` name ("message" when absent) and its `data:` lines joined by "\n". */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Reads server-sent events from a response body: `event:`/`data:` fields, CRLF/CR/LF line ends, multi-line data,
 * comments and chunks that split lines anywhere. A read failure becomes UpstreamFailure "network" (or the abort
 * reason when `signal` aborted); leaving the loop early cancels the body, which ends the upstream request.
 */
export async function* readSse(
  response: Response,
  options: { label: string; signal: AbortSignal },
): AsyncGenerator<SseEvent> {
  const body = response.body;
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let eventName = "";
  // Most events carry one data line, so lines are joined as they come rather than collected in an array.
  let data: string | undefined;
  try {
    for (;;) {
      const { done, value } = await readChunk(reader, options);
      buffer = done ? buffer + decoder.decode() : buffer + decoder.decode(value, { stream: true });
      let start = 0;
      for (;;) {
        const end = lineEnd(buffer, start);
        if (end < 0) break;
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (end === buffer.length - 1 && buffer.charCodeAt(end) === CR && !done) break;
        const line = buffer.slice(start, end);
        start = end + (buffer.charCodeAt(end) === CR && buffer.charCodeAt(end + 1) === LF ? 2 : 1);
        if (line === "") {
          if (data !== undefined) yield { event: eventName || "message", data };
          eventName = "";
          data = undefined;
          continue;
        }
        const colon = line.indexOf(":");
        if (colon === 0) continue;
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
        if (field === "data") data = data === undefined ? value : `${data}\n${value}`;
        else if (field === "event") eventName = value;
      }
      buffer = start === 0 ? buffer : buffer.slice(start);
      if (done) break;
    }
    // A last event without its blank line still counts; an unterminated line may be cut short, so it does not.
    if (data !== undefined) yield { event: eventName || "message", data };
  } finally {
    reader.cancel().catch(() => {});
  }
}

const CR = 13;
const LF = 10;
const SPACE = 32;

function lineEnd(buffer: string, from: number): number {
  const lf = buffer.indexOf("\n", from);
  const cr = buffer.indexOf("\r", from);
  if (cr < 0) return lf;
  return lf < 0 || cr < lf ? cr : lf;
}

async function readChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  { label, signal }: { label: string; signal: AbortSignal },
) {
  try {
    return await reader.read();
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // Only the error code: a transport message may quote the URL, and this reader does not know the key to scrub.
    const code = (error as { code?: unknown }).code;
    throw new UpstreamFailure(
      "network",
      `${label} upstream stream broke${typeof code === "string" ? ` (${code})` : ""}`,
    );
  }
}

/** Parses one stream frame; a frame that is not JSON is the upstream's fault. */
export function parseFrame<T>(data: string, label: string): T {
  try {
    return JSON.parse(data) as T;
  } catch {
    throw new UpstreamFailure("server", `${label} upstream sent a malformed stream frame`);
  }
}

/** Reads a 2xx JSON body; a body that is not JSON is the upstream's fault, an abort stays an abort. */
export async function readJson<T>(response: Response, label: string, signal: AbortSignal): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch {
    if (signal.aborted) throw signal.reason;
    throw new UpstreamFailure("server", `${label} upstream sent a body that is not JSON`);
  }
}

/** Fails a stream that ended before the upstream said it was complete (a cut connection, a crashed upstream). */
export function streamEndedEarly(label: string): UpstreamFailure {
  return new UpstreamFailure("network", `${label} upstream stream ended before completion`);
}

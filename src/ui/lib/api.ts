/** @module The pages' only way to the hub's JSON API: same-origin fetch, the CSRF header, errors put into words. */
import type { HubErrorBody } from "../../shared/api";
import { currentLang } from "./i18n";
import { t } from "./text";

/** A refusal from the hub: its status, its error type and its message (safe to show, in English). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The hub could not be reached at all (offline, DNS, connection reset). */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
}

let csrfToken = "";
let onSignedOut: () => void = () => {};

/** Remembers the session's CSRF token, which every unsafe request echoes in `x-csrf-token`. */
export function rememberCsrfToken(token: string): void {
  csrfToken = token;
}

/** Registers what happens when the hub says the session is gone (the shell shows the sign-in form again). */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** The HTTP methods the pages use (the platform replaces tags with PUT). */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Sends a JSON request to this origin with `credentials` headers added; a failed transport is a NetworkError. */
export async function fetchJson(
  method: Method,
  path: string,
  credentials: Record<string, string>,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json", ...credentials };
  if (body !== undefined) headers["content-type"] = "application/json";
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new NetworkError("network");
  }
}

/** Sends one request and returns the response when it is 2xx; throws ApiError or NetworkError otherwise. */
export async function send(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const csrf: Record<string, string> = method !== "GET" && csrfToken ? { "x-csrf-token": csrfToken } : {};
  const response = await fetchJson(method, path, csrf, body, signal);
  if (response.ok) return response;
  const data = (await response.json().catch(() => undefined)) as HubErrorBody | undefined;
  const retry = Number(response.headers.get("retry-after")) || undefined;
  const error = new ApiError(response.status, data?.error?.type ?? "", data?.error?.message ?? "", retry);
  // A sign-in attempt answers 401 too; only an expired session elsewhere should drop the page to the form.
  if (response.status === 401 && path !== "/api/auth/sign-in") onSignedOut();
  throw error;
}

/** Calls the API and parses its JSON answer. */
export async function call<T>(method: Method, path: string, body?: unknown): Promise<T> {
  return (await (await send(method, path, body)).json()) as T;
}

/** Builds a query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== "") search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

const KNOWN_TYPES = [
  "invalid_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "too_large",
  "NOT_ENOUGH",
  "rate_limited",
  "upstream_error",
  "unavailable",
  "upstream_timeout",
  "internal",
] as const;

/** Puts any failure into words for the visitor: what kind of refusal, then the hub's own explanation. */
export function describeError(error: unknown): string {
  if (error instanceof NetworkError) return t("err.network");
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const known = KNOWN_TYPES.find((type) => type === error.type);
  let lead = known ? t(`err.${known}`) : t("err.other", { status: error.status });
  if (error.retryAfterSeconds) lead += ` (${t("err.retryIn", { seconds: error.retryAfterSeconds })})`;
  return error.message ? `${lead}${currentLang() === "zh" ? "：" : ": "}${error.message}` : lead;
}

/** @module Normalises whatever a handler threw into an AppError, and builds each surface's one error hook. */
import { Elysia } from "elysia";
import { AppError, internal, invalidRequest, notFound, tooLarge } from "../shared/errors";
import type { RequestLog } from "./request-log";

interface ValueErrorLike {
  path?: string;
  message?: string;
}

/** Names the first invalid field of an Elysia validation error, e.g. `messages: Expected array`. */
function validationMessage(error: unknown): string {
  const detail = (error as { valueError?: ValueErrorLike }).valueError;
  const path = (detail?.path ?? "").replace(/^\//, "").replace(/\//g, ".");
  const message = detail?.message ?? "invalid value";
  return path ? `${path}: ${message}` : `body: ${message}`;
}

/** Turns an Elysia error code and a thrown value into an AppError; unknown failures become an opaque 500. */
export function toAppError(code: unknown, error: unknown): AppError {
  if (error instanceof AppError) return error;
  switch (code) {
    case "VALIDATION":
      return invalidRequest(validationMessage(error));
    case "PARSE":
      return invalidRequest("body is not valid JSON");
    case "NOT_FOUND":
      return notFound("No route matches this path");
  }
  const status = (error as { status?: number } | null)?.status;
  if (status === 413) return tooLarge();
  return internal(error);
}

/** Renders the hub's own error body: `{"error":{"type","message"}}`. */
export function renderHubError(e: AppError) {
  return { error: { type: e.type, message: e.message } };
}

/** The body of an error hook: normalise, log opaque failures once with the request id, set status, render. */
export function errorResponder(
  requests: RequestLog,
  render: (e: AppError) => object,
  adapt: (e: AppError) => AppError = (e) => e,
) {
  return ({ code, error, set, request }: ErrorHookContext) => {
    const e = adapt(toAppError(code, error));
    if (e.status >= 500) requests.failure(request, e, e.cause ?? error);
    set.status = e.status;
    if (e.extra.retryAfterSeconds) set.headers["retry-after"] = String(e.extra.retryAfterSeconds);
    return render(e);
  };
}

interface ErrorHookContext {
  code: unknown;
  error: unknown;
  request: Request;
  set: { status?: number | string; headers: Record<string, string | number> };
}

/**
 * Builds one surface's error hook, scoped so each mapper stays on its own surface; `adapt` lets a surface restate an
 * error the way its clients expect (the AIGNE wire answers an unknown model with 400).
 */
export function surfaceErrors(
  requests: RequestLog,
  surface: string,
  render: (e: AppError) => object,
  adapt?: (e: AppError) => AppError,
) {
  const respond = errorResponder(requests, render, adapt);
  return new Elysia({ name: `errors:${surface}` }).onError({ as: "scoped" }, ({ code, error, set, request }) =>
    respond({ code, error, set, request }),
  );
}

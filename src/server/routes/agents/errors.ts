/** @module The agent platform's error shape: `{"error":"<message>"}` with the contract's exact strings (§4.2). */
import { Elysia } from "elysia";
import { type AppError, invalidRequest, notFound } from "../../../shared/errors";
import { errorResponder } from "../../errors";
import type { RequestLog } from "../../request-log";

/** Paths whose errors use the platform's shape, also when no route matched. */
export const PLATFORM_PATH = /^\/v1\/(users|me|agents|runs|gateway)(\/|$)/;

/** Renders an error: the message as `error`; the publish gate adds its fields; opaque failures say so, nothing more. */
export function renderPlatformError(e: AppError): object {
  if (e.message === "publish_gated" && e.extra.details) return { error: "publish_gated", ...e.extra.details };
  if (e.type === "internal" && e.status === 500 && e.message === "Internal error") return { error: "internal error" };
  return { error: e.message };
}

/** Restates generic failures in the platform's terms: an over-long body is `invalid json`, no route is `not found`. */
export function adaptPlatformError(e: AppError): AppError {
  if (e.type === "too_large") return invalidRequest("invalid json");
  if (e.type === "not_found" && e.message === "No route matches this path") return notFound("not found");
  return e;
}

/** The platform surface's one error hook. */
export const platformErrors = (requests: RequestLog) => {
  const respond = errorResponder(requests, renderPlatformError, adaptPlatformError);
  return new Elysia({ name: "errors:agents" }).onError({ as: "scoped" }, ({ code, error, set, request }) =>
    respond({ code, error, set, request }),
  );
};

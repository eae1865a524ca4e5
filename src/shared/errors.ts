/** @module The one error type a caller may see, and the usage error that makes a command exit 2. */

/** The hub's wire strings for `error.type`; the hub renderer is the identity on these. */
export type ErrorType =
  | "invalid_request"
  | "unauthorized"
  | "NOT_ENOUGH"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "rate_limited"
  | "upstream_error"
  | "unavailable"
  | "upstream_timeout"
  | "internal";

/** Extra data a surface may render: a machine code, a retry hint, safe details. */
export interface AppErrorExtra {
  code?: string;
  param?: string;
  retryAfterSeconds?: number;
  details?: Record<string, unknown>;
}

/** A failure the caller may see: a wire type, an HTTP status and a message that is safe to show. */
export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly type: ErrorType,
    readonly status: number,
    message: string,
    readonly extra: AppErrorExtra = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Builds a 400 naming what is wrong with the input. */
export const invalidRequest = (message: string, param?: string) =>
  new AppError("invalid_request", 400, message, { param });
/** Builds a 401; the message never echoes the credential. */
export const unauthorized = (message = "Invalid or missing API key") => new AppError("unauthorized", 401, message);
/** Builds a 403. */
export const forbidden = (message = "Forbidden") => new AppError("forbidden", 403, message);
/** Builds a 404. */
export const notFound = (message = "Not found", code?: string) => new AppError("not_found", 404, message, { code });
/** Builds a 409. */
export const conflict = (message = "Conflict") => new AppError("conflict", 409, message);
/** Builds a 413. */
export const tooLarge = (message = "Request body too large") => new AppError("too_large", 413, message);
/** Builds a 429 carrying the number of seconds to wait. */
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new AppError("rate_limited", 429, message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
/** Builds a 503. */
export const unavailable = (message: string, retryAfterSeconds?: number) =>
  new AppError("unavailable", 503, message, { retryAfterSeconds });
/** Builds the opaque 500 whose cause is logged, never shown. */
export const internal = (cause?: unknown) =>
  new AppError("internal", 500, "Internal error", {}, cause === undefined ? undefined : { cause });

/** A bad command line: the command prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A command that failed for a reason worth one line on stderr: exit 1. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Describes a thrown value in one line without SQL, parameters or stack: a query failure yields only its cause. */
export function describeError(error: unknown): { name: string; message: string } {
  if (!(error instanceof Error)) return { name: "Error", message: String(error).slice(0, 300) };
  const inner = /^Failed query:/.test(error.message) && error.cause instanceof Error ? error.cause : error;
  return { name: inner.name, message: (inner.message.split("\n")[0] ?? "").slice(0, 300) };
}

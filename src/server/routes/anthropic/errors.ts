/** @module The Anthropic surface's error body: `{"type":"error","error":{"type","message"}}`. */
import type { ErrorType as AnthropicSdkErrorType } from "@anthropic-ai/sdk/resources/shared";
import type { AppError, ErrorType } from "../../../shared/errors";

/** Anthropic's error types, plus `request_too_large`, which the API sends on 413 but the SDK does not list. */
export type AnthropicErrorType = AnthropicSdkErrorType | "request_too_large";

/** The body Anthropic clients parse, both as an HTTP error and inside an `event: error` frame. */
export interface AnthropicErrorBody {
  type: "error";
  error: { type: AnthropicErrorType; message: string };
}

const ANTHROPIC_ERRORS: Record<ErrorType, AnthropicErrorType> = {
  invalid_request: "invalid_request_error",
  unauthorized: "authentication_error",
  NOT_ENOUGH: "billing_error",
  forbidden: "permission_error",
  not_found: "not_found_error",
  conflict: "invalid_request_error",
  too_large: "request_too_large",
  rate_limited: "rate_limit_error",
  upstream_error: "api_error",
  unavailable: "overloaded_error",
  upstream_timeout: "api_error",
  internal: "api_error",
};

/** Renders an AppError in Anthropic's error shape. */
export function renderAnthropicError(e: AppError): AnthropicErrorBody {
  return { type: "error", error: { type: ANTHROPIC_ERRORS[e.type], message: e.message } };
}

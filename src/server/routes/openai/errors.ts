/** @module The OpenAI surface's error body: `{"error":{"message","type","param","code"}}`. */
import type { ErrorObject } from "openai/resources/shared";
import type { AppError, ErrorType } from "../../../shared/errors";

/** The body OpenAI clients parse into an APIError. */
export interface OpenAIErrorBody {
  error: Pick<ErrorObject, "message" | "type" | "param" | "code">;
}

/** OpenAI's `type` and default `code` per hub error type; a code the error carries (e.g. model_not_found) wins. */
const OPENAI_ERRORS: Record<ErrorType, { type: string; code: string | null }> = {
  invalid_request: { type: "invalid_request_error", code: null },
  unauthorized: { type: "invalid_request_error", code: "invalid_api_key" },
  NOT_ENOUGH: { type: "insufficient_quota", code: "insufficient_quota" },
  forbidden: { type: "invalid_request_error", code: "permission_denied" },
  not_found: { type: "invalid_request_error", code: null },
  conflict: { type: "invalid_request_error", code: "conflict" },
  too_large: { type: "invalid_request_error", code: "request_too_large" },
  rate_limited: { type: "requests", code: "rate_limit_exceeded" },
  upstream_error: { type: "server_error", code: "upstream_error" },
  unavailable: { type: "server_error", code: "unavailable" },
  upstream_timeout: { type: "server_error", code: "upstream_timeout" },
  internal: { type: "server_error", code: null },
};

/** Renders an AppError in OpenAI's error shape; `param` names the offending field when the error knows it. */
export function renderOpenAIError(e: AppError): OpenAIErrorBody {
  const wire = OPENAI_ERRORS[e.type];
  return {
    error: { message: e.message, type: wire.type, param: e.extra.param ?? null, code: e.extra.code ?? wire.code },
  };
}

import { describe, expect, test } from "bun:test";
import { renderAigneError } from "../../../src/server/routes/aigne/errors";
import { renderAnthropicError } from "../../../src/server/routes/anthropic/errors";
import { renderOpenAIError } from "../../../src/server/routes/openai/errors";
import {
  AppError,
  type ErrorType,
  forbidden,
  internal,
  invalidRequest,
  notFound,
  rateLimited,
  tooLarge,
  unauthorized,
  unavailable,
} from "../../../src/shared/errors";

const notEnough = new AppError("NOT_ENOUGH", 402, "Not enough credits. Top up here: https://hub.example.com/credits", {
  details: { link: "https://hub.example.com/credits" },
});
const modelNotFound = notFound('Model "openai/nope" not found', "model_not_found");
const upstream = (type: ErrorType, status: number) => new AppError(type, status, "openai service is unavailable");

describe("renderOpenAIError", () => {
  test("every hub error renders OpenAI's four fields with the mapped type and code", () => {
    const rows = [
      invalidRequest("temperature: Expected number", "temperature"),
      unauthorized(),
      notEnough,
      forbidden(),
      modelNotFound,
      tooLarge(),
      rateLimited("slow down", 3),
      upstream("upstream_error", 502),
      unavailable("all cooling down", 30),
      upstream("upstream_timeout", 504),
      internal(new Error("SELECT secret")),
    ].map((e) => {
      const { error } = renderOpenAIError(e);
      return [e.status, error.type, error.code, error.param];
    });
    expect(rows).toEqual([
      [400, "invalid_request_error", null, "temperature"],
      [401, "invalid_request_error", "invalid_api_key", null],
      [402, "insufficient_quota", "insufficient_quota", null],
      [403, "invalid_request_error", "permission_denied", null],
      [404, "invalid_request_error", "model_not_found", null],
      [413, "invalid_request_error", "request_too_large", null],
      [429, "requests", "rate_limit_exceeded", null],
      [502, "server_error", "upstream_error", null],
      [503, "server_error", "unavailable", null],
      [504, "server_error", "upstream_timeout", null],
      [500, "server_error", null, null],
    ]);
  });

  test("the body is exactly error.message, type, param and code, and an internal error shows no cause", () => {
    expect(renderOpenAIError(unauthorized())).toEqual({
      error: {
        message: "Invalid or missing API key",
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      },
    });
    expect(JSON.stringify(renderOpenAIError(internal(new Error("SELECT secret"))))).not.toContain("secret");
  });
});

describe("renderAnthropicError", () => {
  test("every hub error renders as a type:error body with Anthropic's error type", () => {
    const types = [
      invalidRequest("bad"),
      unauthorized(),
      notEnough,
      forbidden(),
      modelNotFound,
      new AppError("conflict", 409, "Conflict"),
      tooLarge(),
      rateLimited("slow down", 3),
      upstream("upstream_error", 502),
      unavailable("all cooling down"),
      upstream("upstream_timeout", 504),
      internal(),
    ].map((e) => renderAnthropicError(e).error.type);
    expect(types).toEqual([
      "invalid_request_error",
      "authentication_error",
      "billing_error",
      "permission_error",
      "not_found_error",
      "invalid_request_error",
      "request_too_large",
      "rate_limit_error",
      "api_error",
      "overloaded_error",
      "api_error",
      "api_error",
    ]);
    expect(renderAnthropicError(unauthorized())).toEqual({
      type: "error",
      error: { type: "authentication_error", message: "Invalid or missing API key" },
    });
  });
});

describe("renderAigneError", () => {
  test("hub errors render as error.type and error.message, the type being the hub's own word", () => {
    expect(renderAigneError(invalidRequest('Unsupported model "foo/bar"'))).toEqual({
      error: { type: "invalid_request", message: 'Unsupported model "foo/bar"' },
    });
    expect(renderAigneError(unavailable("busy")).error.type).toBe("unavailable");
  });

  test("NOT_ENOUGH also carries the payment link and an ISO timestamp", () => {
    expect(renderAigneError(notEnough, () => Date.UTC(2026, 2, 1, 10, 0, 0))).toEqual({
      error: {
        type: "NOT_ENOUGH",
        message: "Not enough credits. Top up here: https://hub.example.com/credits",
        link: "https://hub.example.com/credits",
        timestamp: "2026-03-01T10:00:00.000Z",
      },
    });
    const withoutLink = renderAigneError(new AppError("NOT_ENOUGH", 402, "Not enough credits"));
    expect("link" in withoutLink.error).toBe(false);
    expect(withoutLink.error.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

/**
 * @module The run pages' client for the platform's `/v1` routes, whose errors are `{"error":"<message>"}`: public
 * reads, and user calls made as the signed-in hub account (cookie + CSRF token) or with a pasted user key.
 */
import { ApiError, fetchJson, type Method } from "../api";

/** How user calls authenticate: the hub session, or a platform user key kept for this tab. */
export type Credentials = { kind: "session" } | { kind: "key"; key: string };

// The platform's bodies carry only a message; its status says which kind of refusal it is, in the hub's words.
const HUB_TYPES: Record<number, string> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  429: "rate_limited",
  500: "internal",
  503: "unavailable",
};

/** A refusal from a platform route; `body` keeps the extra fields some carry (the publish gate's). */
export class PlatformError extends ApiError {
  constructor(
    status: number,
    message: string,
    readonly body: Record<string, unknown>,
    retryAfterSeconds?: number,
  ) {
    super(status, HUB_TYPES[status] ?? "", message, retryAfterSeconds);
  }
}

let credentials: Credentials | undefined;
let csrfToken: Promise<string> | undefined;

/** Chooses how this page's user calls authenticate from now on (undefined: public reads only). */
export function actAs(next: Credentials | undefined): void {
  credentials = next;
}

/** The session's CSRF token, read once: the shell's session hook keeps its copy to itself. */
function sessionCsrfToken(): Promise<string> {
  csrfToken ??= fetch("/api/auth/session", { credentials: "same-origin", headers: { accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : {}))
    .then((session: { csrfToken?: string }) => session.csrfToken ?? "")
    .catch(() => "");
  return csrfToken;
}

/** Calls a platform route and returns its JSON; throws PlatformError or NetworkError. */
export async function platform<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const auth: Record<string, string> = {};
  if (credentials?.kind === "key") auth.authorization = `Bearer ${credentials.key}`;
  else if (credentials?.kind === "session" && method !== "GET") auth["x-csrf-token"] = await sessionCsrfToken();
  const response = await fetchJson(method, path, auth, body, signal);
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok) return data as T;
  const message = typeof data.error === "string" ? data.error : "";
  throw new PlatformError(response.status, message, data, Number(response.headers.get("retry-after")) || undefined);
}

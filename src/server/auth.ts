/** @module Who is calling: a hub key in Authorization, or a browser session cookie guarded by a CSRF token. */
import type { KeyLimits, User } from "../db/stores";
import { forbidden, unauthorized } from "../shared/errors";
import { type Accounts, bearerToken, SESSION_TTL_MS } from "./services/accounts";

/** The session cookie's name. */
export const SESSION_COOKIE = "aigne_hub_session";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** An authenticated caller of a hub route. */
export interface Caller {
  user: User;
  /** The hub key used, when the caller sent one. */
  keyId?: string;
  /** That key's limits. */
  limits?: KeyLimits;
  /** Set when the caller is a browser session. */
  csrfToken?: string;
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | null, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

/** Builds the Set-Cookie value for a session (Secure under TLS). */
export function sessionCookie(token: string, secure: boolean): string {
  const attributes = [`Max-Age=${SESSION_TTL_MS / 1000}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  return `${SESSION_COOKIE}=${token}; ${attributes.join("; ")}${secure ? "; Secure" : ""}`;
}

/** Builds the Set-Cookie value that ends a session. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/** Creates the caller resolvers every surface uses. */
export function createAuth(accounts: Accounts) {
  /** A hub key from `Authorization: Bearer`. */
  async function hubCaller(authorization: string | null | undefined): Promise<Caller> {
    const found = await accounts.authenticateKey(bearerToken(authorization));
    return { user: found.user, keyId: found.key.id, limits: found.key.limits };
  }

  /** A hub key if one is sent, else the session cookie; unsafe methods on a session need `x-csrf-token`. */
  async function anyCaller(request: Request): Promise<Caller> {
    if (request.headers.get("authorization")) return hubCaller(request.headers.get("authorization"));
    const found = await accounts.sessionFor(readCookie(request.headers.get("cookie"), SESSION_COOKIE));
    if (!found) throw unauthorized("Sign in or send a hub API key");
    if (!SAFE_METHODS.has(request.method)) {
      const token = request.headers.get("x-csrf-token") ?? "";
      if (token !== found.session.csrfToken) throw forbidden("Missing or wrong CSRF token");
    }
    return { user: found.user, csrfToken: found.session.csrfToken };
  }

  /** Like anyCaller, and the user must be an admin. */
  async function adminCaller(request: Request): Promise<Caller> {
    const caller = await anyCaller(request);
    if (caller.user.role !== "admin") throw forbidden("This needs an admin");
    return caller;
  }

  return { hubCaller, anyCaller, adminCaller };
}

/** The resolvers' type, as routes receive them. */
export type Auth = ReturnType<typeof createAuth>;

/** @module Per-request plumbing of the platform routes: who calls, rate limits, path ids, idempotency keys. */
import { createHash } from "node:crypto";
import type { Server } from "bun";
import { invalidRequest } from "../../../shared/errors";
import { type Auth, readCookie, SESSION_COOKIE } from "../../auth";
import type { AgentPlatform } from "../../services/agents";
import type { AgentCaller, UserCaller } from "../../services/agents/identity";
import type { IdempotencyRequest } from "../../services/agents/runs";
import { isUuid } from "../../services/agents/text";

/** What a platform handler needs from Elysia's context. */
export interface RequestContext {
  request: Request;
  server: Server<unknown> | null;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Parses an agent path id; `400 invalid agent id`. */
export function agentPathId(pathId: string): string {
  if (!isUuid(pathId)) throw invalidRequest("invalid agent id");
  return pathId.toLowerCase();
}

/** Builds the caller resolvers over the platform; `auth` lets a signed-in browser act as its linked platform user. */
export function platformCallers(platform: AgentPlatform, auth: Auth) {
  const { guard, identity } = platform;

  /** The client address: the socket peer, or the forwarded one behind a trusted proxy. */
  function address({ request, server }: RequestContext): string {
    return guard.clientAddress(server?.requestIP(request)?.address ?? "unknown", request.headers);
  }

  /** Authenticates with `resolve`; a failed attempt counts against the client address, a success against the key. */
  async function authenticated<T>(ctx: RequestContext, resolve: () => Promise<T>, rateKey: (caller: T) => string) {
    let caller: T;
    try {
      caller = await resolve();
    } catch (error) {
      guard.limitAddress(address(ctx));
      throw error;
    }
    guard.limitKey(rateKey(caller));
    return caller;
  }

  return {
    address,

    /**
     * A user caller: a user key (`ahu_…`, or an aigne-hub `ahk_…` key), else a hub browser session, whose unsafe
     * requests must carry its CSRF token. Without either it is the MVP's `401 missing bearer token`.
     */
    user: (ctx: RequestContext): Promise<UserCaller> =>
      authenticated(
        ctx,
        async () => {
          const { headers } = ctx.request;
          if (headers.get("authorization") || !readCookie(headers.get("cookie"), SESSION_COOKIE))
            return identity.authenticateUser(headers.get("authorization"));
          return identity.authenticateAccount((await auth.anyCaller(ctx.request)).user);
        },
        (caller) => caller.rateKey,
      ),

    /** An agent-key caller whose agent is enabled. */
    agent: (ctx: RequestContext): Promise<AgentCaller> =>
      authenticated(
        ctx,
        () => identity.authenticateAgent(ctx.request.headers.get("authorization")),
        (caller) => `agent:${caller.keyId}`,
      ),

    /** An anonymous caller, counted by address; returns the address. */
    anonymous(ctx: RequestContext): string {
      const from = address(ctx);
      guard.limitAddress(from);
      return from;
    },

    /** The request's `Idempotency-Key` with a hash of method, path and body, or undefined without one. */
    idempotency(request: Request, bodyText: string): IdempotencyRequest | undefined {
      const key = request.headers.get("idempotency-key");
      if (key === null) return undefined;
      if (!IDEMPOTENCY_KEY.test(key)) throw invalidRequest("invalid idempotency key");
      const path = new URL(request.url).pathname.replace(/\/$/, "");
      const requestHash = createHash("sha256").update(`${request.method} ${path}\n${bodyText}`).digest("hex");
      return { key, requestHash };
    },
  };
}

/** The resolvers' type. */
export type PlatformCallers = ReturnType<typeof platformCallers>;

/** @module Platform users (§5.1, §5.2, §5.27): open registration, the caller, and user key management. */
import { Elysia } from "elysia";
import type { AgentPlatform } from "../../services/agents";
import { MAX_GRACE_SECONDS } from "../../services/agents/identity";
import type { PlatformCallers } from "./callers";
import { graceSeconds } from "./query";
import { keyWire } from "./wire";

const NO_BODY = { parse: "none" } as const;

/** `POST /v1/users`, `GET /v1/me` and `/v1/me/keys…`. */
export const userRoutes = (platform: AgentPlatform, callers: PlatformCallers) =>
  new Elysia({ name: "routes:agents:users" })
    .post(
      "/v1/users",
      async (ctx) => {
        const address = callers.anonymous(ctx);
        platform.guard.admitRegistration(address);
        const { user, apiKey } = await platform.identity.registerUser(address);
        ctx.set.status = 201;
        ctx.set.headers["cache-control"] = "no-store";
        return { user_id: user.id, api_key: apiKey };
      },
      NO_BODY,
    )
    .get("/v1/me", async (ctx) => {
      const caller = await callers.user(ctx);
      return { user_id: caller.user.id, hub_account: caller.hubAccount?.email ?? null };
    })
    .get("/v1/me/keys", async (ctx) => {
      const caller = await callers.user(ctx);
      return { keys: (await platform.identity.listUserKeys(caller.user.id)).map(keyWire) };
    })
    .post(
      "/v1/me/keys/rotate",
      async (ctx) => {
        const caller = await callers.user(ctx);
        const grace = graceSeconds(ctx.query.grace_seconds, MAX_GRACE_SECONDS);
        const { apiKey, key } = await platform.identity.rotateUserKey(caller.user.id, grace);
        ctx.set.headers["cache-control"] = "no-store";
        return { api_key: apiKey, key_id: key.id };
      },
      NO_BODY,
    )
    .delete(
      "/v1/me/keys/:keyId",
      async (ctx) => {
        const caller = await callers.user(ctx);
        await platform.identity.revokeUserKey(caller.user.id, ctx.params.keyId.toLowerCase());
        return { status: "revoked" };
      },
      NO_BODY,
    );

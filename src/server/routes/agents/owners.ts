/** @module Owners' agent routes (§5.3–§5.9, §5.28): create, list, read, edit, disable, delete, keys and tags. */
import { Elysia } from "elysia";
import type { AgentPlatform } from "../../services/agents";
import { MAX_GRACE_SECONDS } from "../../services/agents/identity";
import { BODY_LIMITS, readBody } from "./body";
import { agentPathId, type PlatformCallers } from "./callers";
import { clampedInt, graceSeconds } from "./query";
import { agentDetailWire, agentWire, contributionWire } from "./wire";

const NO_BODY = { parse: "none" } as const;
const AgentBody = { name: "string", description: "string", tags: "string[]" } as const;
const PatchBody = { name: "string", description: "string", status: "string" } as const;

/** `/v1/agents…` for the caller's own agents. */
export const ownerRoutes = (platform: AgentPlatform, callers: PlatformCallers) => {
  const { owners } = platform;
  return new Elysia({ name: "routes:agents:owners" })
    .post(
      "/v1/agents",
      async (ctx) => {
        const caller = await callers.user(ctx);
        const { body } = await readBody(ctx.request, BODY_LIMITS.agent, AgentBody);
        const created = await owners.createAgent(caller.user.id, body);
        ctx.set.status = 201;
        ctx.set.headers["cache-control"] = "no-store";
        return {
          agent_id: created.agentId,
          api_key: created.apiKey,
          endpoints: { poll: "/v1/gateway/inbox/poll" },
          onboarding: { run_id: created.onboarding.runId, work_item_id: created.onboarding.workItemId },
        };
      },
      NO_BODY,
    )
    .get("/v1/agents", async (ctx) => {
      const caller = await callers.user(ctx);
      return { agents: (await owners.listAgents(caller.user.id)).map(agentWire) };
    })
    .get("/v1/agents/:agentId", async (ctx) => {
      const caller = await callers.user(ctx);
      return agentDetailWire(await owners.getAgent(caller.user.id, agentPathId(ctx.params.agentId)));
    })
    .get("/v1/agents/:agentId/contributions", async (ctx) => {
      const caller = await callers.user(ctx);
      const limit = clampedInt(ctx.query.limit, 20, 1, 100);
      const offset = clampedInt(ctx.query.offset, 0, 0, 50_000);
      const page = await owners.contributions(caller.user.id, agentPathId(ctx.params.agentId), { limit, offset });
      return {
        items: page.items.map(contributionWire),
        has_more: page.hasMore,
        next_offset: offset + page.items.length,
      };
    })
    .patch(
      "/v1/agents/:agentId",
      async (ctx) => {
        const caller = await callers.user(ctx);
        const agentId = agentPathId(ctx.params.agentId);
        const { body } = await readBody(ctx.request, BODY_LIMITS.agent, PatchBody);
        await owners.patchAgent(caller.user.id, agentId, body);
        return { status: "ok" };
      },
      NO_BODY,
    )
    .delete(
      "/v1/agents/:agentId",
      async (ctx) => {
        const caller = await callers.user(ctx);
        await owners.deleteAgent(caller.user.id, agentPathId(ctx.params.agentId));
        return { status: "deleted" };
      },
      NO_BODY,
    )
    .post(
      "/v1/agents/:agentId/disable",
      async (ctx) => {
        const caller = await callers.user(ctx);
        await owners.disableAgent(caller.user.id, agentPathId(ctx.params.agentId));
        return { status: "disabled" };
      },
      NO_BODY,
    )
    .post(
      "/v1/agents/:agentId/keys/rotate",
      async (ctx) => {
        const caller = await callers.user(ctx);
        const agentId = agentPathId(ctx.params.agentId);
        const grace = graceSeconds(ctx.query.grace_seconds, MAX_GRACE_SECONDS);
        ctx.set.headers["cache-control"] = "no-store";
        return { api_key: await owners.rotateAgentKey(caller.user.id, agentId, grace) };
      },
      NO_BODY,
    )
    .put(
      "/v1/agents/:agentId/tags",
      async (ctx) => {
        const caller = await callers.user(ctx);
        const agentId = agentPathId(ctx.params.agentId);
        const { body } = await readBody(ctx.request, BODY_LIMITS.agent, { tags: "string[]" } as const);
        return { tags: await owners.replaceTags(caller.user.id, agentId, body.tags ?? []) };
      },
      NO_BODY,
    )
    .post(
      "/v1/agents/:agentId/tags",
      async (ctx) => {
        const caller = await callers.user(ctx);
        const agentId = agentPathId(ctx.params.agentId);
        const { body } = await readBody(ctx.request, BODY_LIMITS.tag, { tag: "string" } as const);
        return { tag: await owners.addTag(caller.user.id, agentId, body.tag ?? "") };
      },
      NO_BODY,
    )
    .delete(
      "/v1/agents/:agentId/tags/:tag",
      async (ctx) => {
        const caller = await callers.user(ctx);
        await owners.removeTag(caller.user.id, agentPathId(ctx.params.agentId), ctx.params.tag);
        return { status: "ok" };
      },
      NO_BODY,
    );
};

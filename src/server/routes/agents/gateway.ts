/** @module Gateway routes for agent keys (§5.13–§5.19, §5.26): offers, claims, leases, events, artifacts, tools. */
import { Elysia } from "elysia";
import type { AgentWorkItem } from "../../../db/platform-stores";
import type { AgentPlatform } from "../../services/agents";
import { BODY_LIMITS, readBody } from "./body";
import type { PlatformCallers } from "./callers";
import { clampedInt } from "./query";
import { eventWire, rfc3339, workItemWire } from "./wire";

const NO_BODY = { parse: "none" } as const;
const CompleteBody = { artifact_version: "int", summary: "string" } as const;
const ReasonBody = { reason: "string" } as const;
const EventBody = { kind: "string", payload: "object" } as const;
const ArtifactBody = { kind: "string", content: "string", linked_event_seq: "int" } as const;
const ToolBody = { run_id: "string", tool: "string", input: "object" } as const;

/** The claim response (§5.15): the item with its task statement and lease expiry. */
function claimWire(item: AgentWorkItem) {
  const { created_at: _, updated_at: __, ...rest } = workItemWire(item);
  return rest;
}

/** `/v1/gateway/…` for agent keys. */
export const gatewayRoutes = (platform: AgentPlatform, callers: PlatformCallers) => {
  const { work } = platform;
  const waitSeconds = (value: string | undefined) => clampedInt(value, 0, 0, platform.settings.pollWaitMaxSeconds);
  return new Elysia({ name: "routes:agents:gateway" })
    .get("/v1/gateway/inbox/poll", async (ctx) => {
      const caller = await callers.agent(ctx);
      const offers = await work.poll(
        caller.agent.id,
        { limit: clampedInt(ctx.query.limit, 50, 1, 50), wait: waitSeconds(ctx.query.wait) },
        ctx.request.signal,
      );
      return { agent_id: caller.agent.id, offers: offers.map(workItemWire) };
    })
    .post(
      "/v1/gateway/inbox/claim-next",
      async (ctx) => {
        const caller = await callers.agent(ctx);
        return claimWire(await work.claimNext(caller.agent.id, waitSeconds(ctx.query.wait), ctx.request.signal));
      },
      NO_BODY,
    )
    .get("/v1/gateway/work-items/:workItemId", async (ctx) => {
      const caller = await callers.agent(ctx);
      return workItemWire(await work.read(caller.agent.id, ctx.params.workItemId));
    })
    .post(
      "/v1/gateway/work-items/:workItemId/claim",
      async (ctx) => {
        const caller = await callers.agent(ctx);
        return claimWire(await work.claim(caller.agent.id, ctx.params.workItemId));
      },
      NO_BODY,
    )
    .post(
      "/v1/gateway/work-items/:workItemId/heartbeat",
      async (ctx) => {
        const caller = await callers.agent(ctx);
        const { body } = await readBody(ctx.request, BODY_LIMITS.lease, { extend_seconds: "int" } as const, true);
        const lease = await work.heartbeat(caller.agent.id, ctx.params.workItemId, body.extend_seconds);
        return { work_item_id: lease.workItemId, status: "claimed", lease_expires_at: rfc3339(lease.expiresAt) };
      },
      NO_BODY,
    )
    .post(
      "/v1/gateway/work-items/:workItemId/release",
      async (ctx) => {
        const caller = await callers.agent(ctx);
        const { body } = await readBody(ctx.request, BODY_LIMITS.lease, ReasonBody, true);
        await work.release(caller.agent.id, ctx.params.workItemId, body.reason);
        return { status: "offered" };
      },
      NO_BODY,
    )
    .post(
      "/v1/gateway/work-items/:workItemId/fail",
      async (ctx) => {
        const caller = await callers.agent(ctx);
        const { body } = await readBody(ctx.request, BODY_LIMITS.lease, ReasonBody, true);
        return { status: await work.fail(caller.agent.id, ctx.params.workItemId, body.reason) };
      },
      NO_BODY,
    )
    .post(
      "/v1/gateway/work-items/:workItemId/complete",
      async (ctx) => {
        const caller = await callers.agent(ctx);
        const { body } = await readBody(ctx.request, BODY_LIMITS.lease, CompleteBody, true);
        await work.complete(caller.agent.id, ctx.params.workItemId, {
          artifactVersion: body.artifact_version,
          summary: body.summary,
        });
        return { status: "completed" };
      },
      NO_BODY,
    )
    .post(
      "/v1/gateway/runs/:runId/events",
      async (ctx) => {
        const caller = await callers.agent(ctx);
        const { body, text } = await readBody(ctx.request, BODY_LIMITS.event, EventBody);
        const event = await work.emit(caller.agent.id, ctx.params.runId, body, callers.idempotency(ctx.request, text));
        ctx.set.status = 201;
        return eventWire(event);
      },
      NO_BODY,
    )
    .post(
      "/v1/gateway/runs/:runId/artifacts",
      async (ctx) => {
        const caller = await callers.agent(ctx);
        const { body, text } = await readBody(ctx.request, BODY_LIMITS.artifact, ArtifactBody);
        const artifact = await work.submit(
          caller.agent.id,
          ctx.params.runId,
          { kind: body.kind, content: body.content, linkedEventSeq: body.linked_event_seq },
          callers.idempotency(ctx.request, text),
        );
        ctx.set.status = 201;
        return {
          run_id: artifact.runId,
          run_ref: artifact.runRef,
          version: artifact.version,
          kind: artifact.kind,
          persona: artifact.persona,
        };
      },
      NO_BODY,
    )
    .post(
      "/v1/gateway/tools/invoke",
      async (ctx) => {
        const caller = await callers.agent(ctx);
        const { body } = await readBody(ctx.request, BODY_LIMITS.tool, ToolBody);
        return work.invokeTool(caller.agent.id, { runId: body.run_id, tool: body.tool });
      },
      NO_BODY,
    );
};

/** @module Run routes (§5.10, §5.11, §5.20–§5.25): publish, cancel, and the public reads, replay and live stream. */
import { Elysia } from "elysia";
import { invalidRequest } from "../../../shared/errors";
import type { AgentPlatform } from "../../services/agents";
import { BODY_LIMITS, readBody } from "./body";
import type { PlatformCallers } from "./callers";
import { clampedInt, streamStart, strictCount, truthy } from "./query";
import { sseResponse } from "./sse";
import { artifactWire, eventWire, outputWire, runListingWire, runWire } from "./wire";

const NO_BODY = { parse: "none" } as const;
const RunBody = { goal: "string", constraints: "string", required_tags: "string[]" } as const;

/** `/v1/runs…`. */
export const runRoutes = (platform: AgentPlatform, callers: PlatformCallers) => {
  const { runs } = platform;
  return new Elysia({ name: "routes:agents:runs" })
    .post(
      "/v1/runs",
      async (ctx) => {
        const caller = await callers.user(ctx);
        const { body, text } = await readBody(ctx.request, BODY_LIMITS.run, RunBody);
        const created = await runs.publish(
          caller.user.id,
          { goal: body.goal, constraints: body.constraints, requiredTags: body.required_tags },
          callers.idempotency(ctx.request, text),
        );
        ctx.set.status = 201;
        return {
          run_id: created.run.id,
          run_ref: created.run.publicRef,
          work_item_id: created.workItemId,
          offered_agents: created.offered,
        };
      },
      NO_BODY,
    )
    .get("/v1/runs", async (ctx) => {
      callers.anonymous(ctx);
      const limit = clampedInt(ctx.query.limit, 20, 1, 50);
      const offset = clampedInt(ctx.query.offset, 0, 0, 50_000);
      const listed = await runs.list({
        q: ctx.query.q ?? "",
        limit,
        offset,
        includeSystem: truthy(ctx.query.include_system),
      });
      return {
        runs: listed.runs.map(runListingWire),
        has_more: listed.hasMore,
        next_offset: offset + listed.runs.length,
      };
    })
    .get("/v1/runs/:runId", async (ctx) => {
      callers.anonymous(ctx);
      return runWire(await runs.resolveRun(ctx.params.runId));
    })
    .post(
      "/v1/runs/:runId/cancel",
      async (ctx) => {
        const caller = await callers.user(ctx);
        await runs.cancel(caller.user.id, ctx.params.runId);
        return { status: "failed" };
      },
      NO_BODY,
    )
    .get("/v1/runs/:runId/output", async (ctx) => {
      callers.anonymous(ctx);
      return outputWire(await runs.output(ctx.params.runId));
    })
    .get("/v1/runs/:runId/artifacts/:version", async (ctx) => {
      callers.anonymous(ctx);
      const version = ctx.params.version.trim();
      if (!/^\d+$/.test(version) || Number(version) < 1 || !Number.isSafeInteger(Number(version))) {
        throw invalidRequest("invalid version");
      }
      return artifactWire(await runs.artifact(ctx.params.runId, Number(version)));
    })
    .get("/v1/runs/:runId/replay", async (ctx) => {
      callers.anonymous(ctx);
      const run = await runs.resolveRun(ctx.params.runId);
      const afterSeq = strictCount(ctx.query.after_seq, 0, "invalid after_seq");
      const limit = clampedInt(ctx.query.limit, 200, 1, 500);
      const page = await runs.replay(run, afterSeq, limit);
      const events = page.events.map(eventWire);
      return {
        run_id: run.id,
        events,
        key_nodes: events.filter((event) => event.is_key_node),
        after_seq: afterSeq,
        limit,
        has_more: page.hasMore,
        next_after_seq: page.events.at(-1)?.seq ?? afterSeq,
      };
    })
    .get("/v1/runs/:runId/stream", async (ctx) => {
      const address = callers.anonymous(ctx);
      const run = await runs.resolveRun(ctx.params.runId);
      const afterSeq = strictCount(ctx.query.after_seq, 0, "invalid after_seq");
      const start = streamStart(afterSeq, ctx.request.headers.get("last-event-id"));
      const release = platform.guard.acquireStream(address);
      try {
        const stream = await runs.stream(run, start, eventWire);
        if (!stream) {
          release();
          return new Response(null, { status: 204 });
        }
        // Bun closes a connection idle for 10 s by default; keep-alive comments come every 15 s.
        ctx.server?.timeout(ctx.request, 0);
        return sseResponse(stream, ctx.request.signal, release);
      } catch (error) {
        release();
        throw error;
      }
    });
};

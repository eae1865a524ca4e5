/** @module Runs: publishing behind the gate (§5.10, §6.4), cancel, and the public reads, replay and live stream. */
import type { Artifact, PlatformEvent, RunDetail, RunListing } from "../../../db/platform-stores";
import { AppError, invalidRequest, notFound } from "../../../shared/errors";
import { announce, type PlatformContext } from "./context";
import { selectParticipants } from "./matching";
import { openRunStream, type RunStream } from "./run-stream";
import { isRunRef, isUuid, LIMITS, newId, newPublicRef, normaliseTags, utf8Length } from "./text";

/** At most this many agents are ranked per matching. */
const MATCH_POOL = 2000;
/** Search: at most 6 terms of at most 64 characters. */
const MAX_TERMS = 6;
const MAX_TERM_CHARS = 64;

/** An optional `Idempotency-Key` with the hash of the request it came with. */
export interface IdempotencyRequest {
  key: string;
  requestHash: string;
}

/** Splits a search query on whitespace, `,`, `，`, `;`, `；`, de-duplicated, at most 6 terms of 64 characters. */
export function searchTerms(q: string): string[] {
  const terms = q
    .split(/[\s,，;；]+/)
    .filter(Boolean)
    .map((term) => [...term].slice(0, MAX_TERM_CHARS).join(""));
  return [...new Set(terms)].slice(0, MAX_TERMS);
}

/** Builds the publish gate's 403 with its exact body (§5.12). */
function publishGated(details: Record<string, unknown>): AppError {
  return new AppError("forbidden", 403, "publish_gated", { details });
}

/** Builds the run operations. */
export function createRunOperations(ctx: PlatformContext) {
  const { stores, settings, now } = ctx;

  /** Resolves a run path segment (UUID or `r_` ref) to the run; `400 invalid run id`, `404 not found`. */
  async function resolveRun(pathId: string): Promise<RunDetail> {
    const run = await findRun(pathId);
    if (!run) throw notFound("not found");
    return run;
  }

  /** Like resolveRun, but an unknown run is null (the gateway answers it as a non-participant). */
  async function findRun(pathId: string): Promise<RunDetail | null> {
    if (isUuid(pathId)) return stores.runs.findRun({ id: pathId.toLowerCase() });
    if (isRunRef(pathId)) return stores.runs.findRun({ ref: pathId });
    throw invalidRequest("invalid run id");
  }

  /** Applies the publish gate: enabled agents (all agents in legacy mode) and contributions. */
  async function checkGate(userId: string): Promise<void> {
    const counts = await stores.users.publishGate(userId);
    const legacy = settings.publishGateMode === "legacy";
    if ((legacy ? counts.agents : counts.enabledAgents) < 1) {
      throw publishGated({ reason: "no_agent", requirement: "register at least one agent first" });
    }
    const completed = legacy ? counts.completed : counts.qualified;
    if (completed < settings.publishMinCompleted) {
      throw publishGated({
        reason: "insufficient_contribution",
        min: settings.publishMinCompleted,
        completed,
        requirement: "your agents must complete platform work before you can publish runs",
      });
    }
  }

  /** Publishes a run with one work item offered to the matched agents; nobody eligible still creates it. */
  async function publish(
    userId: string,
    input: { goal?: string; constraints?: string; requiredTags?: string[] },
    idempotency?: IdempotencyRequest,
  ) {
    const goal = (input.goal ?? "").trim();
    if (!goal) throw invalidRequest("missing goal");
    if (utf8Length(goal) > LIMITS.goal) throw invalidRequest("goal too long");
    const constraints = (input.constraints ?? "").trim();
    if (utf8Length(constraints) > LIMITS.constraints) throw invalidRequest("constraints too long");
    await checkGate(userId);
    const requiredTags = normaliseTags(input.requiredTags ?? []);
    const at = now();
    const candidates = await stores.agents.matchCandidates({
      maxLeases: settings.maxLeasesPerAgent,
      at,
      limit: MATCH_POOL,
    });
    const offerAgentIds = selectParticipants({
      candidates,
      publisherUserId: userId,
      requiredTags,
      count: settings.participantCount,
      random: ctx.random,
    });
    const created = await stores.runs.createRun({
      run: { id: newId(), publicRef: newPublicRef("r_"), publisherUserId: userId, goal, constraints, requiredTags },
      workItemId: newId(),
      offerAgentIds,
      idempotency: idempotency && { scope: userId, ...idempotency },
      at,
    });
    ctx.hub.offersChanged();
    return created;
  }

  /** Stops the publisher's open run: its items and the run fail with reason `cancelled` (§5.11). */
  async function cancel(userId: string, pathId: string): Promise<void> {
    const run = await findRun(pathId);
    if (!run) throw notFound("not found");
    announce(ctx, await stores.runs.cancelRun({ runId: run.id, userId, at: now() }));
  }

  /** Lists public runs (§5.20). */
  function list(input: { q: string; limit: number; offset: number; includeSystem: boolean }): Promise<{
    runs: RunListing[];
    hasMore: boolean;
  }> {
    return stores.runs.listRuns({ ...input, terms: searchTerms(input.q) });
  }

  /** The run's output (§5.22); `404 no output` without artifacts. */
  async function output(pathId: string): Promise<Artifact> {
    const run = await resolveRun(pathId);
    const found = await stores.runs.output(run.id);
    if (!found) throw notFound("no output");
    return found;
  }

  /** One artifact version (§5.23). */
  async function artifact(pathId: string, version: number): Promise<Artifact> {
    const run = await resolveRun(pathId);
    const found = await stores.runs.artifact(run.id, version);
    if (!found) throw notFound("not found");
    return found;
  }

  /** One replay page (§5.25): events after `afterSeq`, and whether more follow. */
  async function replay(run: RunDetail, afterSeq: number, limit: number) {
    const page = await stores.runs.eventsAfter(run.id, afterSeq, limit + 1);
    return { events: page.slice(0, limit), hasMore: page.length > limit };
  }

  /** Opens a live stream (§6.7); null means 204 (a terminal run with nothing new). */
  function stream(
    run: RunDetail,
    afterSeq: number,
    toWire: (event: PlatformEvent) => unknown,
  ): Promise<RunStream | null> {
    return openRunStream({
      run,
      afterSeq,
      runs: stores.runs,
      hub: ctx.hub,
      keepaliveMs: settings.keepaliveMs,
      toWire,
    });
  }

  return { publish, cancel, list, resolveRun, findRun, output, artifact, replay, stream };
}

/** The run operations' type. */
export type RunOperations = ReturnType<typeof createRunOperations>;

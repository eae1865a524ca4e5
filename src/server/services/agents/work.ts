/** @module The agent side (`/v1/gateway`): offers, claims, leases, events, artifacts; only the lease holder writes. */
import type { AgentWorkItem, Artifact, Lease, PlatformEvent } from "../../../db/platform-stores";
import { AppError, conflict, forbidden, invalidRequest, notFound } from "../../../shared/errors";
import { announce, type PlatformContext } from "./context";
import type { IdempotencyRequest, RunOperations } from "./runs";
import { AGENT_EVENT_KINDS, isKeyNodeKind, isUuid, LIMITS, utf8Length } from "./text";

/** How often a long poll looks in the database while it waits (other processes write offers too). */
const LONG_POLL_RECHECK_MS = 1000;

/** Parses a work item path id; `400 invalid work_item_id`. */
function workItemId(pathId: string): string {
  if (!isUuid(pathId)) throw invalidRequest("invalid work_item_id");
  return pathId.toLowerCase();
}

/** Checks an optional free-text reason or summary against its byte limit. */
function boundedText(value: string | undefined, limit: number, error: string): string | null {
  const text = value?.trim();
  if (!text) return null;
  if (utf8Length(text) > limit) throw invalidRequest(error);
  return text;
}

/** Builds the gateway operations. */
export function createWorkOperations(ctx: PlatformContext, runs: RunOperations) {
  const { stores, settings, hub, now } = ctx;
  const rules = () => ({
    leaseMs: settings.leaseMs,
    maxAttempts: settings.maxAttempts,
    maxLeasesPerAgent: settings.maxLeasesPerAgent,
  });

  /** Re-runs `attempt` until it yields something or `waitSeconds` pass, waking early on new offers. */
  async function waitFor<T>(waitSeconds: number, signal: AbortSignal | undefined, attempt: () => Promise<T | null>) {
    const deadline = performance.now() + Math.min(waitSeconds, settings.pollWaitMaxSeconds) * 1000;
    for (;;) {
      const found = await attempt();
      const left = deadline - performance.now();
      if (found !== null || left <= 0 || signal?.aborted) return found;
      await hub.waitForOffers(Math.min(left, LONG_POLL_RECHECK_MS), signal);
    }
  }

  /** Lists the agent's offers (claimed ones only when it holds them); with `wait`, until one appears. */
  async function poll(agentId: string, input: { limit: number; wait: number }, signal?: AbortSignal) {
    const items = await waitFor(input.wait, signal, async () => {
      const found = await stores.work.poll({ agentId, limit: input.limit });
      return found.length ? found : null;
    });
    return items ?? [];
  }

  /** One item offered to the agent (§5.14); `404 not offered` otherwise. */
  async function read(agentId: string, pathId: string): Promise<AgentWorkItem> {
    const item = await stores.work.readWorkItem({ agentId, workItemId: workItemId(pathId), at: now() });
    if (!item) throw notFound("not offered");
    return item;
  }

  async function claimWith(agentId: string, id: string | undefined) {
    const outcome = await stores.work.claim({ agentId, workItemId: id, rules: rules(), at: now() });
    announce(ctx, outcome);
    return outcome;
  }

  /** Claims one item (§5.15): exactly one concurrent claimer wins. */
  async function claim(agentId: string, pathId: string): Promise<AgentWorkItem> {
    const outcome = await claimWith(agentId, workItemId(pathId));
    if (outcome.rejection || !outcome.claimed) throw outcome.rejection ?? conflict("not claimable");
    return outcome.claimed;
  }

  /** Claims the oldest claimable offer (§5.26); with `wait`, until one appears; `404 no offers`. */
  async function claimNext(agentId: string, wait: number, signal?: AbortSignal): Promise<AgentWorkItem> {
    let rejection: AppError | undefined;
    const claimed = await waitFor(wait, signal, async () => {
      const outcome = await claimWith(agentId, undefined);
      rejection = outcome.rejection;
      // Only "no offers" is worth waiting out; any other refusal is answered at once.
      if (rejection && rejection.message !== "no offers") throw rejection;
      return outcome.claimed;
    });
    if (!claimed) throw rejection ?? notFound("no offers");
    return claimed;
  }

  /** Extends the caller's lease (§5.26) by `extendSeconds` (30..lease length, default the lease length). */
  function heartbeat(agentId: string, pathId: string, extendSeconds?: number): Promise<Lease> {
    const leaseSeconds = settings.leaseMs / 1000;
    const seconds = Math.min(leaseSeconds, Math.max(30, extendSeconds ?? leaseSeconds));
    return stores.work.heartbeat({
      agentId,
      workItemId: workItemId(pathId),
      extendMs: seconds * 1000,
      maxLifetimeMs: settings.maxLeaseLifetimeMs,
      at: now(),
    });
  }

  /** Gives the item back to its offer set without counting an attempt. */
  async function release(agentId: string, pathId: string, reason?: string): Promise<void> {
    const id = workItemId(pathId);
    const text = boundedText(reason, LIMITS.reason, "reason too long");
    announce(ctx, await stores.work.release({ agentId, workItemId: id, reason: text, at: now() }), true);
  }

  /** Reports a failure: attempts++, re-offered, or failed at the maximum. */
  async function fail(agentId: string, pathId: string, reason?: string): Promise<"offered" | "failed"> {
    const id = workItemId(pathId);
    const text = boundedText(reason, LIMITS.reason, "reason too long");
    const written = await stores.work.fail({
      agentId,
      workItemId: id,
      reason: text,
      maxAttempts: settings.maxAttempts,
      at: now(),
    });
    announce(ctx, written, written.status === "offered");
    return written.status;
  }

  /** Completes the caller's item (§5.16), optionally naming its artifact and a summary. */
  async function complete(
    agentId: string,
    pathId: string,
    input: { artifactVersion?: number; summary?: string },
  ): Promise<void> {
    const id = workItemId(pathId);
    const summary = boundedText(input.summary, LIMITS.summary, "summary too long");
    if (input.artifactVersion !== undefined && input.artifactVersion < 1) {
      throw invalidRequest("invalid artifact_version");
    }
    const written = await stores.work.complete({
      agentId,
      workItemId: id,
      artifactVersion: input.artifactVersion,
      summary: summary ?? undefined,
      at: now(),
    });
    announce(ctx, written);
  }

  /** The run an agent writes to; an unknown run is answered like a run the agent does not take part in. */
  async function writableRunId(pathId: string): Promise<string> {
    const run = await runs.findRun(pathId);
    if (!run) throw forbidden("not a participant");
    return run.id;
  }

  /** Appends the holder's event (§5.17); `system` is reserved for the platform. */
  async function emit(
    agentId: string,
    pathId: string,
    input: { kind?: string; payload?: Record<string, unknown> | null },
    idempotency?: IdempotencyRequest,
  ): Promise<PlatformEvent> {
    const runId = await writableRunId(pathId);
    const kind = (input.kind ?? "").trim();
    if (!AGENT_EVENT_KINDS.has(kind)) throw invalidRequest("invalid kind");
    let payload: string;
    try {
      payload = JSON.stringify(input.payload ?? {});
    } catch {
      throw invalidRequest("invalid payload");
    }
    if (utf8Length(payload) > LIMITS.eventPayload) throw invalidRequest("payload too large");
    const { event, replayed } = await stores.runs.appendEvent({
      runId,
      agentId,
      kind,
      payload,
      isKeyNode: isKeyNodeKind(kind),
      idempotency: idempotency && { scope: agentId, ...idempotency },
      at: now(),
    });
    if (!replayed) announce(ctx, { events: [event] });
    return event;
  }

  /** Stores the holder's next artifact version (§5.18). */
  async function submit(
    agentId: string,
    pathId: string,
    input: { kind?: string; content?: string; linkedEventSeq?: number | null },
    idempotency?: IdempotencyRequest,
  ): Promise<Artifact> {
    const runId = await writableRunId(pathId);
    const kind = input.kind?.trim() || "final";
    if (kind !== "draft" && kind !== "final") throw invalidRequest("invalid kind");
    const content = (input.content ?? "").trim();
    if (!content) throw invalidRequest("missing content");
    if (utf8Length(content) > LIMITS.artifactContent) throw invalidRequest("content too large");
    const linked = input.linkedEventSeq && input.linkedEventSeq > 0 ? input.linkedEventSeq : null;
    const { artifact } = await stores.runs.submitArtifact({
      runId,
      agentId,
      kind,
      content,
      linkedEventSeq: linked,
      idempotency: idempotency && { scope: agentId, ...idempotency },
      at: now(),
    });
    return artifact;
  }

  /** The tool gate (§5.19): default deny; an allowed tool is not implemented yet. */
  async function invokeTool(agentId: string, input: { runId?: string; tool?: string }): Promise<never> {
    const tool = (input.tool ?? "").trim();
    if (!tool || utf8Length(tool) > LIMITS.tool) throw invalidRequest("invalid tool");
    if (!input.runId || !isUuid(input.runId)) throw invalidRequest("invalid run_id");
    const decision = await stores.work.toolDecision({ agentId, runId: input.runId.toLowerCase(), tool, at: now() });
    if (decision === "denied") throw forbidden("tool_denied");
    throw new AppError("internal", 501, "tool_not_implemented");
  }

  return { poll, read, claim, claimNext, heartbeat, release, fail, complete, emit, submit, invokeTool };
}

/** The gateway operations' type. */
export type WorkOperations = ReturnType<typeof createWorkOperations>;

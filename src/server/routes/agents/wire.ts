/** @module The platform's wire shapes (§5): MVP field names plus additive ones, RFC 3339 seconds, `[]` lists. */
import type {
  AgentView,
  AgentWorkItem,
  Artifact,
  Contribution,
  PlatformEvent,
  PlatformKey,
  RunDetail,
  RunListing,
} from "../../../db/platform-stores";

/** Renders epoch milliseconds as RFC 3339 UTC to the second: `2026-02-20T15:34:32Z`. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const nullableTime = (ms: number | null): string | null => (ms === null ? null : rfc3339(ms));

/** The event shape used everywhere: emit response, replay, stream frames. */
export function eventWire(event: PlatformEvent) {
  return {
    run_id: event.runId,
    run_ref: event.runRef,
    seq: event.seq,
    kind: event.kind,
    persona: event.persona,
    payload: event.payload,
    is_key_node: event.isKeyNode,
    created_at: rfc3339(event.createdAt),
  };
}

/** A work item as the poll lists it and the read returns it; `lease_expires_at` only when the caller holds it. */
export function workItemWire(item: AgentWorkItem) {
  return {
    work_item_id: item.id,
    run_id: item.runId,
    run_ref: item.runRef,
    stage: item.stage,
    kind: item.kind,
    status: item.status,
    goal: item.goal,
    constraints: item.constraints,
    attempts: item.attempts,
    created_at: rfc3339(item.createdAt),
    updated_at: rfc3339(item.updatedAt),
    ...(item.lease ? { lease_expires_at: rfc3339(item.lease.expiresAt) } : {}),
  };
}

/** An agent in the owner's list (§5.4). */
export function agentWire(agent: AgentView) {
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description,
    status: agent.status,
    tags: agent.tags,
    public_ref: agent.publicRef,
    last_seen_at: nullableTime(agent.lastSeenAt),
    active_leases: agent.activeLeases,
    completed_work_items: agent.completedWorkItems,
  };
}

/** One agent as its owner sees it (§5.28). */
export function agentDetailWire(agent: AgentView) {
  return {
    ...agentWire(agent),
    qualified_work_items: agent.qualifiedWorkItems,
    created_at: rfc3339(agent.createdAt),
  };
}

/** One contribution (§5.28). */
export function contributionWire(item: Contribution) {
  return {
    work_item_id: item.workItemId,
    run_id: item.runId,
    stage: item.stage,
    kind: item.kind,
    qualified: item.qualified,
    completed_at: rfc3339(item.completedAt),
  };
}

/** A user key without its secret (§5.27); a rotated key's grace end shows as its revocation time. */
export function keyWire(key: PlatformKey) {
  return {
    key_id: key.id,
    prefix: key.prefix,
    name: key.name,
    created_at: rfc3339(key.createdAt),
    last_used_at: nullableTime(key.lastUsedAt),
    expires_at: nullableTime(key.expiresAt),
    revoked_at: nullableTime(key.revokedAt ?? key.revokeAfter),
  };
}

/** A run in the public list (§5.20). */
export function runListingWire(run: RunListing) {
  return {
    run_id: run.id,
    run_ref: run.publicRef,
    goal: run.goal,
    constraints: run.constraints,
    status: run.status,
    created_at: rfc3339(run.createdAt),
    updated_at: rfc3339(run.updatedAt),
    completed_at: nullableTime(run.completedAt),
    output_version: run.outputVersion,
    output_kind: run.outputKind,
    persona_count: run.personaCount,
  };
}

/** One run (§5.21): the MVP's `id`, plus `run_id` and the additive fields. */
export function runWire(run: RunDetail) {
  return {
    id: run.id,
    goal: run.goal,
    constraints: run.constraints,
    status: run.status,
    created_at: rfc3339(run.createdAt),
    run_id: run.id,
    run_ref: run.publicRef,
    updated_at: rfc3339(run.updatedAt),
    completed_at: nullableTime(run.completedAt),
    failure_reason: run.failureReason,
    required_tags: run.requiredTags,
    work_items: run.workItems.map((item) => ({
      work_item_id: item.id,
      status: item.status,
      attempts: item.attempts,
    })),
  };
}

/** The run's output (§5.22). */
export function outputWire(artifact: Artifact) {
  return {
    run_id: artifact.runId,
    version: artifact.version,
    kind: artifact.kind,
    content: artifact.content,
    author: artifact.persona,
    created_at: rfc3339(artifact.createdAt),
    linked_seq: artifact.linkedEventSeq,
  };
}

/** One artifact version (§5.23): `linked_seq` here, with `linked_event_seq` as the additive alias. */
export function artifactWire(artifact: Artifact) {
  return {
    run_id: artifact.runId,
    version: artifact.version,
    kind: artifact.kind,
    content: artifact.content,
    created_at: rfc3339(artifact.createdAt),
    linked_seq: artifact.linkedEventSeq,
    replay_url: `/v1/runs/${artifact.runId}/replay`,
    linked_event_seq: artifact.linkedEventSeq,
    author: artifact.persona,
  };
}

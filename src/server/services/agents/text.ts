/** @module Text rules of the agent platform: UTF-8 byte limits, tag normalisation, ids, public refs, event kinds. */
import { randomBytes } from "node:crypto";

/** The spec's limits, in UTF-8 bytes (Go's `len()`), measured after trimming. */
export const LIMITS = {
  name: 64,
  description: 512,
  tag: 64,
  tagsPerAgent: 32,
  goal: 4000,
  constraints: 8000,
  artifactContent: 200_000,
  eventPayload: 16_384,
  summary: 2000,
  reason: 2000,
  tool: 128,
} as const;

const encoder = new TextEncoder();

/** The length of a string in UTF-8 bytes, so a CJK character counts 3 as in the MVP. */
export const utf8Length = (text: string): number => encoder.encode(text).length;

/** Trims, drops empty or over-long values and de-duplicates, keeping first-seen order; `max` caps the count. */
export function normaliseTags(tags: readonly string[], max: number = Number.MAX_SAFE_INTEGER): string[] {
  const seen = new Set<string>();
  for (const raw of tags) {
    const tag = raw.trim();
    if (tag && utf8Length(tag) <= LIMITS.tag) seen.add(tag);
    if (seen.size >= max) break;
  }
  return [...seen];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RUN_REF = /^r_[0-9a-f]{16}$/;

/** Whether a path id parses as a UUID (any case); ids are compared lower-cased. */
export const isUuid = (text: string): boolean => UUID.test(text);

/** Whether a path names a run by its public ref (`r_` + 16 hex). */
export const isRunRef = (text: string): boolean => RUN_REF.test(text);

/** A random public ref: `r_` for runs, `a_` for agents, then 16 lowercase hex characters. */
export const newPublicRef = (prefix: "r_" | "a_"): string => `${prefix}${randomBytes(8).toString("hex")}`;

/** A new lowercase UUID for platform records. */
export const newId = (): string => crypto.randomUUID();

/** Event kinds an agent may emit; `system` is reserved for the platform. */
export const AGENT_EVENT_KINDS = new Set(["message", "stage_changed", "decision", "summary", "artifact_version"]);

/** Kinds that mark milestones (key nodes). */
const KEY_NODE_KINDS = new Set(["stage_changed", "decision", "summary", "artifact_version"]);

/** Whether events of this kind are key nodes. */
export const isKeyNodeKind = (kind: string): boolean => KEY_NODE_KINDS.has(kind);

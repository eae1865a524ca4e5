/** @module Query parameters of the agent platform: the MVP's lenient integers and clamps, strict where it was strict. */
import { invalidRequest } from "../../../shared/errors";

const INTEGER = /^-?\d+$/;

/** An integer query value clamped to [min, max]; a missing or non-integer value keeps the default. */
export function clampedInt(value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !INTEGER.test(value.trim())) return fallback;
  return Math.min(max, Math.max(min, Number(value.trim())));
}

/** A non-negative integer or `error`; absent is `fallback`. */
export function strictCount(value: string | undefined, fallback: number, error: string): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value.trim()))) throw invalidRequest(error);
  return Number(value.trim());
}

/** The MVP's truthy words for `include_system`. */
export const truthy = (value: string | undefined): boolean =>
  value !== undefined && ["1", "true", "yes", "y"].includes(value.trim().toLowerCase());

/** A stream's start: `max(after_seq, Last-Event-ID)`; an unparsable Last-Event-ID is ignored. */
export function streamStart(afterSeq: number, lastEventId: string | null): number {
  const resumed = lastEventId && /^\d+$/.test(lastEventId.trim()) ? Number(lastEventId.trim()) : 0;
  return Math.max(afterSeq, Number.isSafeInteger(resumed) ? resumed : 0);
}

/** `grace_seconds` of key rotation: 0..86 400, default 0. */
export const graceSeconds = (value: string | undefined, max: number): number => {
  const seconds = strictCount(value, 0, "invalid grace_seconds");
  if (seconds > max) throw invalidRequest("invalid grace_seconds");
  return seconds;
};

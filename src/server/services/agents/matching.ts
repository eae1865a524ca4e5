/** @module Matching (§6.3): who is offered a work item, ranked the same way at publish time and at worker top-up. */
import type { MatchCandidate } from "../../../db/platform-stores";

/** Ranks candidates: matching required tags (desc), fewest live leases, least recently offered, then random. */
export function rankCandidates(
  candidates: readonly MatchCandidate[],
  requiredTags: readonly string[],
  random: () => number = Math.random,
): MatchCandidate[] {
  const wanted = new Set(requiredTags);
  const keyed = candidates.map((candidate) => ({
    candidate,
    overlap: candidate.tags.filter((tag) => wanted.has(tag)).length,
    tiebreak: random(),
  }));
  keyed.sort(
    (a, b) =>
      b.overlap - a.overlap ||
      a.candidate.liveLeases - b.candidate.liveLeases ||
      (a.candidate.lastOfferedAt ?? 0) - (b.candidate.lastOfferedAt ?? 0) ||
      a.tiebreak - b.tiebreak,
  );
  return keyed.map((entry) => entry.candidate);
}

/**
 * Picks up to `count` agents for a run: the publisher's own agents first, but when `count` ≥ 2 and an eligible outside
 * agent exists, own agents take at most `count − 1` places; the rest goes to outside agents. `exclude` (agents already
 * offered) is skipped. Tags are a preference: agents without any overlap stay eligible.
 */
export function selectParticipants(input: {
  candidates: readonly MatchCandidate[];
  publisherUserId: string;
  requiredTags: readonly string[];
  count: number;
  exclude?: ReadonlySet<string>;
  random?: () => number;
}): string[] {
  const { publisherUserId, count, exclude = new Set<string>() } = input;
  if (count <= 0) return [];
  const ranked = rankCandidates(
    input.candidates.filter((candidate) => !exclude.has(candidate.agentId)),
    input.requiredTags,
    input.random,
  );
  const own = ranked.filter((candidate) => candidate.ownerId === publisherUserId);
  const outside = ranked.filter((candidate) => candidate.ownerId !== publisherUserId);
  const ownCap = count >= 2 && outside.length > 0 ? count - 1 : count;
  const ownPicks = own.slice(0, ownCap);
  const outsidePicks = outside.slice(0, count - ownPicks.length);
  return [...ownPicks, ...outsidePicks].map((candidate) => candidate.agentId);
}

/** @module Matching policy (§6.3): ranking, owner cap, eligibility without tag overlap. */
import { describe, expect, test } from "bun:test";
import type { MatchCandidate } from "../../../src/db/platform-stores";
import { rankCandidates, selectParticipants } from "../../../src/server/services/agents/matching";

const candidate = (agentId: string, ownerId: string, extra: Partial<MatchCandidate> = {}): MatchCandidate => ({
  agentId,
  ownerId,
  tags: [],
  liveLeases: 0,
  lastOfferedAt: null,
  ...extra,
});

/** A deterministic "random" source. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe("rankCandidates", () => {
  test("orders by matching tags, then fewest live leases, then least recently offered", () => {
    const ranked = rankCandidates(
      [
        candidate("busy", "o", { tags: ["poetry"], liveLeases: 2 }),
        candidate("none", "o"),
        candidate("two", "o", { tags: ["poetry", "sci-fi"], lastOfferedAt: 50 }),
        candidate("idle", "o", { tags: ["poetry"], lastOfferedAt: 10 }),
        candidate("recent", "o", { tags: ["poetry"], lastOfferedAt: 20 }),
      ],
      ["poetry", "sci-fi"],
      sequence(0.5),
    );
    expect(ranked.map((c) => c.agentId)).toEqual(["two", "idle", "recent", "busy", "none"]);
  });

  test("breaks remaining ties at random", () => {
    const pool = [candidate("a", "o"), candidate("b", "o")];
    expect(rankCandidates(pool, [], sequence(0.9, 0.1)).map((c) => c.agentId)).toEqual(["b", "a"]);
    expect(rankCandidates(pool, [], sequence(0.1, 0.9)).map((c) => c.agentId)).toEqual(["a", "b"]);
  });
});

describe("selectParticipants", () => {
  const pool = [
    candidate("own1", "pub", { tags: ["x"] }),
    candidate("own2", "pub", { tags: ["x"] }),
    candidate("own3", "pub", { tags: ["x"] }),
    candidate("out1", "other"),
    candidate("out2", "other"),
  ];

  test("own agents take at most N−1 places when an outside agent is eligible", () => {
    const picked = selectParticipants({ candidates: pool, publisherUserId: "pub", requiredTags: ["x"], count: 3 });
    expect(picked.filter((id) => id.startsWith("own")).length).toBe(2);
    expect(picked.filter((id) => id.startsWith("out")).length).toBe(1);
  });

  test("own agents fill every place when nobody else is eligible, and N = 1 goes to the owner first", () => {
    const ownOnly = pool.filter((c) => c.ownerId === "pub");
    expect(selectParticipants({ candidates: ownOnly, publisherUserId: "pub", requiredTags: [], count: 3 }).length).toBe(
      3,
    );
    expect(selectParticipants({ candidates: pool, publisherUserId: "pub", requiredTags: [], count: 1 })[0]).toMatch(
      /^own/,
    );
  });

  test("agents without any tag overlap stay eligible; excluded agents are skipped; nobody eligible is []", () => {
    const picked = selectParticipants({
      candidates: pool,
      publisherUserId: "nobody",
      requiredTags: ["missing"],
      count: 5,
      exclude: new Set(["own1"]),
    });
    expect(picked.sort()).toEqual(["out1", "out2", "own2", "own3"]);
    expect(selectParticipants({ candidates: [], publisherUserId: "pub", requiredTags: [], count: 3 })).toEqual([]);
    expect(selectParticipants({ candidates: pool, publisherUserId: "pub", requiredTags: [], count: 0 })).toEqual([]);
  });
});

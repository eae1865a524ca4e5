/** @module The lease worker's tasks (§6.2): conditional writes with audit rows, safe for two processes on one DB. */
import { IDEMPOTENCY_TTL_MS } from "../db/platform-stores";
import type { BackgroundTask } from "./background-worker";
import { announce, type PlatformContext } from "./services/agents/context";
import { selectParticipants } from "./services/agents/matching";

/** Rows one task handles per transaction, so a backlog never holds the write lock for long. */
const BATCH = 200;
/** Agents ranked per top-up pass. */
const MATCH_POOL = 2000;
const TEN_MINUTES_MS = 10 * 60_000;
const HOUR_MS = 3_600_000;

/** Reclaims leases that expired: attempts++, the item re-offered to the same offer set, or failed at the maximum. */
async function reclaimExpiredLeases(ctx: PlatformContext): Promise<void> {
  for (;;) {
    const written = await ctx.stores.work.reclaimExpired({
      at: ctx.now(),
      maxAttempts: ctx.settings.maxAttempts,
      limit: BATCH,
    });
    announce(ctx, written, written.reclaimed > 0);
    if (written.reclaimed < BATCH) return;
  }
}

/** Offers under-offered items to eligible agents, ranked exactly as at publish time (§6.3). */
async function topUpOffers(ctx: PlatformContext): Promise<void> {
  const { stores, settings } = ctx;
  await stores.work.pruneStaleOffers({ limit: BATCH });
  const items = await stores.work.underOfferedItems({ participantCount: settings.participantCount, limit: BATCH });
  if (!items.length) return;
  const at = ctx.now();
  const candidates = await stores.agents.matchCandidates({
    maxLeases: settings.maxLeasesPerAgent,
    at,
    limit: MATCH_POOL,
  });
  let added = 0;
  for (const item of items) {
    const agentIds = selectParticipants({
      candidates,
      publisherUserId: item.publisherUserId,
      requiredTags: item.requiredTags,
      count: settings.participantCount - item.offeredAgentIds.length,
      exclude: new Set(item.offeredAgentIds),
      random: ctx.random,
    });
    if (agentIds.length) {
      added += await stores.work.addOffers({
        workItemId: item.workItemId,
        agentIds,
        max: settings.participantCount,
        at,
      });
    }
  }
  if (added) ctx.hub.offersChanged();
}

/** Fails user runs that nobody finished within the unclaimed-run expiry. */
async function failExpiredRuns(ctx: PlatformContext): Promise<void> {
  for (;;) {
    const at = ctx.now();
    const written = await ctx.stores.work.failUnclaimedRuns({
      createdBefore: at - ctx.settings.unclaimedRunExpiryMs,
      at,
      limit: BATCH,
    });
    announce(ctx, written);
    if (written.failed < BATCH) return;
  }
}

/** The lease worker's tasks for the background worker; `tickMs` is the worker period. */
export function leaseWorkerTasks(input: {
  platform: { context: PlatformContext };
  tickMs: number;
  auditRetentionMs: number;
  auditRetentionRows: number;
}): BackgroundTask[] {
  const ctx = input.platform.context;
  return [
    { name: "agents:reclaim-expired-leases", everyMs: input.tickMs, run: () => reclaimExpiredLeases(ctx) },
    { name: "agents:top-up-offers", everyMs: input.tickMs, run: () => topUpOffers(ctx) },
    { name: "agents:fail-expired-runs", everyMs: input.tickMs, run: () => failExpiredRuns(ctx) },
    {
      name: "agents:purge-idempotency-keys",
      everyMs: TEN_MINUTES_MS,
      run: async () => {
        await ctx.stores.work.purgeIdempotency(ctx.now() - IDEMPOTENCY_TTL_MS);
      },
    },
    {
      name: "agents:prune-audit",
      everyMs: HOUR_MS,
      run: async () => {
        await ctx.stores.work.pruneAudit({
          olderThan: ctx.now() - input.auditRetentionMs,
          maxRows: input.auditRetentionRows,
          batch: 10_000,
        });
      },
    },
  ];
}

/**
 * @module Credit tranches: the credit one serving process holds durably for a user (or for one key with a credit
 * budget), from which that process reserves each call's worst case in memory. A call that its tranche covers reaches
 * upstream without waiting for a write; when it does not, the tranche grows by a durable hold first (one awaited
 * write), and while calls keep coming each growth doubles, so under load one write covers dozens of calls. Nothing is
 * reserved that is not held in the database, so a crash can only leave credit held (the next start releases it), never
 * spent twice. Captures and releases go to the gateway's ordered group commit.
 */
import type { KeyBudget, Stores, TrancheWrite } from "../../db/stores";

/** A tranche takes new calls for this long, then a fresh one does, so no hold row outlives its expiry in use. */
const MAX_AGE_MS = 60_000;
/** A tranche nothing reserved from for this long is released. */
const IDLE_MS = 2_000;
/** A growth this soon after the last one doubles it. */
const GROWTH_WINDOW_MS = 1_000;
/** A growth holds at most this many times the worst case of the call that asked for it. */
const MAX_GROWTH_CALLS = 64;

/** One call's reservation from a tranche, in micro-credits. */
export interface Reservation {
  trancheId: string;
  amount: number;
}

/** Why a tranche could not cover a call. */
export type Refusal = "balance" | "daily_budget" | "monthly_budget";

interface Tranche {
  id: string;
  /** The map key: the user, and the budgeted key when there is one. */
  slot: string;
  userId: string;
  /** The key whose budgets the tranche's hold counts against, or null. */
  keyId: string | null;
  /** Held for the tranche and not yet captured, in memory (the row catches up with the group commit). */
  amount: number;
  /** Reserved by calls in flight. */
  reserved: number;
  /** The worst cases of calls waiting for a growth. */
  waiting: number;
  growing: Promise<GrowthOutcome> | null;
  lastGrowth: number;
  lastGrowthAt: number;
  createdAt: number;
  lastUsedAt: number;
  /** No new calls: it only waits for its calls in flight to settle. */
  retired: boolean;
}

type GrowthOutcome = { ok: true } | { ok: false; reason: Refusal };

/** The tranches of one serving process. `queue` hands captures and releases to the ordered group commit. */
export function createCreditTranches(deps: {
  stores: Stores;
  owner: string;
  newId: () => string;
  now: () => number;
  holdTtlMs: number;
  queue: (write: TrancheWrite) => void;
}) {
  const { stores, owner, newId, now, holdTtlMs, queue } = deps;
  const current = new Map<string, Tranche>();
  const byId = new Map<string, Tranche>();

  function trancheFor(userId: string, keyId: string | null, at: number): Tranche {
    const slot = keyId === null ? userId : `${userId}\u0000${keyId}`;
    const found = current.get(slot);
    if (found && at - found.createdAt < MAX_AGE_MS) return found;
    if (found) retire(found);
    const tranche: Tranche = {
      id: newId(),
      slot,
      userId,
      keyId,
      amount: 0,
      reserved: 0,
      waiting: 0,
      growing: null,
      lastGrowth: 0,
      lastGrowthAt: 0,
      createdAt: at,
      lastUsedAt: at,
      retired: false,
    };
    current.set(slot, tranche);
    byId.set(tranche.id, tranche);
    return tranche;
  }

  function retire(tranche: Tranche): void {
    tranche.retired = true;
    if (current.get(tranche.slot) === tranche) current.delete(tranche.slot);
    if (idle(tranche)) close(tranche);
  }

  function idle(tranche: Tranche): boolean {
    return tranche.reserved === 0 && tranche.waiting === 0 && tranche.growing === null;
  }

  /** Releases what the tranche still holds and forgets it. */
  function close(tranche: Tranche): void {
    if (current.get(tranche.slot) === tranche) current.delete(tranche.slot);
    byId.delete(tranche.id);
    // A tranche that never grew has no row.
    if (tranche.lastGrowthAt === 0) return;
    queue({ kind: "release", trancheId: tranche.id, amount: null, entryId: newId(), at: now() });
  }

  /** Holds `wanted` more for the tranche, or less but at least `needed`; the outcome says why not. */
  async function grow(
    tranche: Tranche,
    needed: number,
    wanted: number,
    budget: KeyBudget | undefined,
  ): Promise<GrowthOutcome> {
    const at = now();
    const result = await stores.ledger.growTranche({
      trancheId: tranche.id,
      userId: tranche.userId,
      keyId: tranche.keyId,
      needed,
      wanted,
      owner,
      entryId: newId(),
      at,
      expiresAt: tranche.createdAt + holdTtlMs,
      budget,
    });
    if (!result.ok) return { ok: false, reason: result.reason };
    tranche.amount += result.granted;
    if (result.granted > 0) {
      tranche.lastGrowth = result.granted;
      tranche.lastGrowthAt = at;
    }
    return { ok: true };
  }

  /**
   * Reserves `amount` for a call of `userId` (from the tranche of `keyId` when that key has a budget); refuses, having
   * written nothing, when the balance or the budget cannot cover it. In lenient mode any credit at all admits the
   * call, its reservation capped at what there is.
   */
  async function reserve(input: {
    userId: string;
    keyId: string | null;
    amount: number;
    budget?: KeyBudget;
    lenient: boolean;
  }): Promise<{ ok: true; reservation: Reservation } | { ok: false; reason: Refusal }> {
    const { amount, lenient } = input;
    let tranche = trancheFor(input.userId, input.keyId, now());
    let waiting = false;
    let grew = false;
    try {
      for (;;) {
        const free = tranche.amount - tranche.reserved;
        if (free >= amount || (lenient && grew && free > 0)) {
          const reserved = Math.min(amount, free);
          tranche.reserved += reserved;
          tranche.lastUsedAt = now();
          return { ok: true, reservation: { trancheId: tranche.id, amount: reserved } };
        }
        if (!waiting) {
          waiting = true;
          tranche.waiting += amount;
        }
        if (tranche.growing) {
          await tranche.growing;
        } else {
          const doubling = now() - tranche.lastGrowthAt < GROWTH_WINDOW_MS ? 2 * tranche.lastGrowth : 0;
          // Enough for every call waiting, or double the last growth while calls keep coming, within the cap.
          const wanted = Math.max(tranche.waiting - free, Math.min(doubling, MAX_GROWTH_CALLS * amount));
          const growing = grow(tranche, lenient ? (free > 0 ? 0 : 1) : amount - free, wanted, input.budget);
          tranche.growing = growing;
          const outcome = await growing.finally(() => {
            tranche.growing = null;
          });
          if (!outcome.ok && !(lenient && free > 0)) return outcome;
          grew = true;
        }
        if (tranche.retired) {
          // The tranche aged out while this call waited: a fresh one serves it.
          tranche.waiting -= amount;
          waiting = false;
          if (idle(tranche)) close(tranche);
          tranche = trancheFor(input.userId, input.keyId, now());
        }
      }
    } finally {
      if (waiting) tranche.waiting -= amount;
      if (tranche.retired && idle(tranche) && byId.has(tranche.id)) close(tranche);
    }
  }

  /**
   * Settles a reservation at the call's actual cost: captures it (growing the tranche first when the cost exceeds
   * what it holds, as far as the balance allows) and returns the reservation's rest to the tranche. Returns what was
   * captured, in micro-credits.
   */
  async function settle(
    reservation: Reservation,
    actual: number,
    call: { callId: string; keyId: string | null },
  ): Promise<number> {
    const tranche = byId.get(reservation.trancheId);
    if (!tranche) return 0;
    tranche.reserved -= reservation.amount;
    let captured = Math.max(0, Math.min(actual, tranche.amount - tranche.reserved));
    tranche.amount -= captured;
    if (actual > captured) {
      // Beyond the tranche: the rest comes from what is free, as a hold settled at once would take it.
      await grow(tranche, 0, actual - captured, undefined);
      const extra = Math.max(0, Math.min(actual - captured, tranche.amount - tranche.reserved));
      tranche.amount -= extra;
      captured += extra;
    }
    tranche.lastUsedAt = now();
    if (captured > 0) {
      queue({
        kind: "capture",
        trancheId: tranche.id,
        userId: tranche.userId,
        keyId: call.keyId,
        callId: call.callId,
        amount: captured,
        entryId: newId(),
        at: tranche.lastUsedAt,
      });
    }
    if (tranche.retired && idle(tranche)) close(tranche);
    return captured;
  }

  /**
   * Returns unreserved credit to the balance: tranches with nothing in flight close (with `idleForMs`, only those
   * unused that long), the others give back all they hold beyond their calls' reservations (not with `idleForMs`).
   */
  function releaseUnreserved(options: { userId?: string; idleForMs?: number } = {}): void {
    const at = now();
    for (const tranche of [...byId.values()]) {
      if (options.userId !== undefined && tranche.userId !== options.userId) continue;
      if (idle(tranche)) {
        if (options.idleForMs === undefined || at - tranche.lastUsedAt >= options.idleForMs || tranche.retired) {
          close(tranche);
        }
        continue;
      }
      const free = tranche.amount - tranche.reserved;
      if (options.idleForMs !== undefined || free <= 0 || tranche.growing) continue;
      tranche.amount -= free;
      queue({ kind: "release", trancheId: tranche.id, amount: free, entryId: newId(), at });
    }
  }

  return {
    reserve,
    settle,
    releaseUnreserved,
    /** Closes tranches unused for a while and ages out old ones; the background worker runs it. */
    sweep(): void {
      const at = now();
      for (const tranche of [...current.values()]) if (at - tranche.createdAt >= MAX_AGE_MS) retire(tranche);
      releaseUnreserved({ idleForMs: IDLE_MS });
    },
    /** What this process holds for a user beyond its calls' reservations (shown as available, not pending). */
    unreserved(userId: string): number {
      let total = 0;
      for (const tranche of byId.values()) {
        if (tranche.userId === userId) total += Math.max(0, tranche.amount - tranche.reserved);
      }
      return total;
    },
  };
}

/** The tranches' type. */
export type CreditTranches = ReturnType<typeof createCreditTranches>;

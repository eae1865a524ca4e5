/**
 * @module Credential selection and health: smooth weighted round-robin over usable credentials, cooldowns that
 * honour Retry-After, invalidation on auth failures, and counters flushed to the store in batches.
 */
import type { CredentialHealthUpdate, Stores } from "../../../db/stores";
import type { UpstreamFailure } from "../../providers/types";
import type { UsableCredential } from "../catalog";

const MIN_RATE_LIMIT_COOLDOWN_MS = 30_000;
const MAX_RATE_LIMIT_COOLDOWN_MS = 10 * 60_000;
const SERVER_COOLDOWN_MS = 90_000;
const REPEATED_SERVER_COOLDOWN_MS = 180_000;

interface LiveState {
  /** Smooth WRR accumulator. */
  current: number;
  cooldownUntil: number;
  invalidReason: string | null;
  consecutiveFailures: number;
  rateLimitStreak: number;
}

interface Counter {
  requests: number;
  errors: number;
  lastUsedAt: number;
}

/** What happened to one attempt on a credential. */
export type AttemptOutcome = { ok: true } | { ok: false; failure: UpstreamFailure };

/** Credential health shared by every call of this process, persisted so operators and replicas see it. */
export function createCredentialHealth(deps: { stores: Stores; now?: () => number; onError?: (e: unknown) => void }) {
  const { stores, now = Date.now, onError = () => {} } = deps;
  const live = new Map<string, LiveState>();
  const counters = new Map<string, Counter>();
  let healthQueue: CredentialHealthUpdate[] = [];

  /** The live state of a credential, seeded from (and never less strict than) what the store says. */
  function stateOf(credential: UsableCredential): LiveState {
    let state = live.get(credential.id);
    if (!state) {
      state = {
        current: 0,
        cooldownUntil: credential.cooldownUntil ?? 0,
        invalidReason: credential.invalidReason,
        consecutiveFailures: credential.consecutiveFailures,
        rateLimitStreak: 0,
      };
      live.set(credential.id, state);
    } else if ((credential.cooldownUntil ?? 0) > state.cooldownUntil) {
      state.cooldownUntil = credential.cooldownUntil ?? 0;
    }
    return state;
  }

  /** True when the credential is enabled, valid and not cooling down. */
  function usable(credential: UsableCredential, at = now()): boolean {
    const state = stateOf(credential);
    return credential.enabled && state.invalidReason === null && state.cooldownUntil <= at;
  }

  /** Picks by smooth weighted round-robin among the usable credentials not yet tried; null when none. */
  function pick(credentials: UsableCredential[], tried: ReadonlySet<string>): UsableCredential | null {
    const at = now();
    let best: UsableCredential | null = null;
    let bestState: LiveState | null = null;
    let total = 0;
    for (const credential of credentials) {
      if (tried.has(credential.id) || !usable(credential, at)) continue;
      const state = stateOf(credential);
      state.current += credential.weight;
      total += credential.weight;
      if (!bestState || state.current > bestState.current) {
        best = credential;
        bestState = state;
      }
    }
    if (bestState) bestState.current -= total;
    return best;
  }

  /** The earliest time one of these credentials becomes usable again by cooling down, or null. */
  function earliestRecovery(credentials: UsableCredential[]): number | null {
    let earliest: number | null = null;
    for (const credential of credentials) {
      const state = stateOf(credential);
      if (!credential.enabled || state.invalidReason !== null) continue;
      if (earliest === null || state.cooldownUntil < earliest) earliest = state.cooldownUntil;
    }
    return earliest;
  }

  function persist(id: string, state: LiveState, lastError?: string) {
    healthQueue.push({
      id,
      cooldownUntil: state.cooldownUntil || null,
      invalidReason: state.invalidReason,
      consecutiveFailures: state.consecutiveFailures,
      ...(lastError !== undefined ? { lastError, lastErrorAt: now() } : {}),
    });
  }

  /** Records an attempt's outcome: counters, and the cooldown or invalidation the failure calls for. */
  function report(credential: UsableCredential, outcome: AttemptOutcome): void {
    const at = now();
    const state = stateOf(credential);
    const counter = counters.get(credential.id) ?? { requests: 0, errors: 0, lastUsedAt: at };
    counter.requests += 1;
    counter.lastUsedAt = at;
    counters.set(credential.id, counter);
    if (outcome.ok) {
      if (state.consecutiveFailures || state.cooldownUntil > 0 || state.rateLimitStreak) {
        state.consecutiveFailures = 0;
        state.rateLimitStreak = 0;
        state.cooldownUntil = 0;
        persist(credential.id, state);
      }
      return;
    }
    const { failure } = outcome;
    if (failure.kind === "bad_request" || failure.kind === "not_found") return;
    counter.errors += 1;
    state.consecutiveFailures += 1;
    if (failure.kind === "auth") {
      state.invalidReason = `${failure.status ?? "auth"}: ${failure.message}`.slice(0, 300);
    } else if (failure.kind === "rate_limit") {
      state.rateLimitStreak += 1;
      const doubled = MIN_RATE_LIMIT_COOLDOWN_MS * 2 ** (state.rateLimitStreak - 1);
      const wait = Math.max((failure.retryAfterSeconds ?? 0) * 1000, Math.min(doubled, MAX_RATE_LIMIT_COOLDOWN_MS));
      state.cooldownUntil = Math.max(state.cooldownUntil, at + wait);
    } else {
      const wait = state.consecutiveFailures >= 3 ? REPEATED_SERVER_COOLDOWN_MS : SERVER_COOLDOWN_MS;
      const hinted = (failure.retryAfterSeconds ?? 0) * 1000;
      state.cooldownUntil = Math.max(state.cooldownUntil, at + Math.max(wait, hinted));
    }
    persist(
      credential.id,
      state,
      `${failure.kind}${failure.status ? ` ${failure.status}` : ""}: ${failure.message}`.slice(0, 300),
    );
  }

  /** Marks a credential healthy again after a successful probe. */
  function restore(credential: UsableCredential): void {
    const state = stateOf(credential);
    state.invalidReason = null;
    state.cooldownUntil = 0;
    state.consecutiveFailures = 0;
    state.rateLimitStreak = 0;
    persist(credential.id, state);
  }

  /** True when the credential is marked invalid (an auth failure) and needs a probe to return. */
  function isInvalid(credential: UsableCredential): boolean {
    return stateOf(credential).invalidReason !== null;
  }

  /** Writes queued health changes and counters to the store. */
  async function flush(): Promise<void> {
    const updates = healthQueue;
    healthQueue = [];
    const deltas = [...counters].map(([id, c]) => ({ id, ...c }));
    counters.clear();
    try {
      await stores.catalog.recordCredentialHealth(updates);
      await stores.catalog.addCredentialCounters(deltas);
    } catch (error) {
      onError(error);
    }
  }

  return { pick, usable, earliestRecovery, report, restore, isInvalid, flush };
}

/** The health service's type. */
export type CredentialHealth = ReturnType<typeof createCredentialHealth>;

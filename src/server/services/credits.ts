/**
 * @module Credits: holds before any upstream call, settlement exactly once, grants, redeem codes, key limits and
 * the reconciliation of holds a crashed process left open. Amounts are integer micro-credits throughout.
 */
import { hostname } from "node:os";
import type { CreditAccount, HoldSettlement, KeyLimits, LedgerEntry, Stores } from "../../db/stores";
import { AppError, invalidRequest, notFound, rateLimited } from "../../shared/errors";
import { monotonicUlids } from "../../shared/ids";
import { formatCredits, parseCredits } from "../../shared/money";
import type { Catalog } from "./catalog";
import type { Secrets } from "./secrets";

const HOLD_TTL_MS = 30 * 60_000;
const HEARTBEAT_STALE_MS = 15_000;
const WINDOW_MS = 60_000;
const REDEEM_PREFIX = "ahr_";

/** The settings keys credits reads. */
export const CREDIT_SETTINGS = {
  enabled: "credits.enabled",
  paymentLink: "credits.paymentLink",
  lenient: "credits.lenient",
} as const;

/** What a hold protects: the call and who pays for it. */
export interface HoldRequest {
  userId: string;
  keyId: string | null;
  callId: string;
  /** The worst-case cost in micro-credits. */
  amount: bigint;
  limits?: KeyLimits;
  /** The hub's public base URL; the default top-up page hangs off it. */
  baseUrl: string;
}

/** A placed hold: its id and the micro-credits it reserves. */
export interface PlacedHold {
  id: string;
  amount: number;
}

/** Builds the 402 every surface renders in its own shape (AIGNE: type NOT_ENOUGH with the link). */
export function notEnoughCredits(paymentLink: string, why = "Not enough credits"): AppError {
  return new AppError("NOT_ENOUGH", 402, `${why}. Top up here: ${paymentLink}`, { details: { link: paymentLink } });
}

/** The top-up page of the hub's own web UI, used when the operator set no payment link. */
export function defaultPaymentLink(baseUrl: string): string {
  return `${baseUrl}/ui/credits`;
}

/** The start of the current UTC day and month. */
function periodStarts(at: number): { dayStart: number; monthStart: number } {
  const date = new Date(at);
  return {
    dayStart: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()),
    monthStart: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1),
  };
}

/**
 * Sliding one-minute windows per key: request times for requests/min, settled token counts for tokens/min.
 * Kept in memory per process; the limits are per key, so a key served by one replica is limited exactly.
 */
function createKeyWindows(now: () => number) {
  const requests = new Map<string, number[]>();
  const tokens = new Map<string, { at: number; tokens: number }[]>();
  const prune = <T extends number | { at: number }>(list: T[], at: number) => {
    while (
      list.length &&
      (typeof list[0] === "number" ? (list[0] as number) : (list[0] as { at: number }).at) <= at - WINDOW_MS
    ) {
      list.shift();
    }
  };
  return {
    /** Admits a request under the key's requests/min and tokens/min, or throws 429 with Retry-After. */
    admit(keyId: string, limits: KeyLimits): void {
      const at = now();
      if (limits.rpmLimit !== null) {
        const list = requests.get(keyId) ?? [];
        prune(list, at);
        if (list.length >= limits.rpmLimit) {
          throw rateLimited(
            `This key allows ${limits.rpmLimit} requests per minute`,
            (list[0]! + WINDOW_MS - at) / 1000,
          );
        }
        list.push(at);
        requests.set(keyId, list);
      }
      if (limits.tpmLimit !== null) {
        const list = tokens.get(keyId) ?? [];
        prune(list, at);
        const used = list.reduce((n, entry) => n + entry.tokens, 0);
        if (used >= limits.tpmLimit) {
          throw rateLimited(
            `This key allows ${limits.tpmLimit} tokens per minute`,
            (list[0]!.at + WINDOW_MS - at) / 1000,
          );
        }
      }
    },
    /** Counts the tokens a settled call used against the key's tokens/min. */
    spend(keyId: string, used: number): void {
      const list = tokens.get(keyId) ?? [];
      list.push({ at: now(), tokens: used });
      tokens.set(keyId, list);
    },
  };
}

/**
 * The credits service. `owner` identifies this serving process on the holds it places; `deferSettlement` queues a
 * settlement whose outcome is already known for the gateway's group commit (without it, every settlement is written
 * at once).
 */
export function createCredits(deps: {
  stores: Stores;
  catalog: Catalog;
  secrets: Secrets;
  now?: () => number;
  owner?: string;
  pid?: number;
  deferSettlement?: (settlement: HoldSettlement) => void;
}) {
  // Several ids per call: the factory encodes the time once per millisecond and counts after that.
  const newId = monotonicUlids();
  const { stores, catalog, secrets, now = Date.now, owner = newId(), pid = process.pid, deferSettlement } = deps;
  const host = hostname();
  const windows = createKeyWindows(now);

  async function settings() {
    const view = await catalog.view();
    return {
      enabled: view.creditsEnabled,
      paymentLink:
        typeof view.settings[CREDIT_SETTINGS.paymentLink] === "string"
          ? (view.settings[CREDIT_SETTINGS.paymentLink] as string)
          : null,
      lenient: view.settings[CREDIT_SETTINGS.lenient] === true,
    };
  }

  /** Enforces the key's request and token rates before anything else happens. */
  function admit(keyId: string | null, limits: KeyLimits | undefined): void {
    if (keyId && limits) windows.admit(keyId, limits);
  }

  /**
   * Reserves the worst-case cost; returns the hold, or null when credits are off. Throws 402 when the available
   * balance (or the key's budget) cannot cover it; nothing is written then. In lenient mode any positive available
   * balance admits the call, with the hold capped at what is available.
   */
  async function reserve(request: HoldRequest): Promise<PlacedHold | null> {
    const mode = await settings();
    if (!mode.enabled) return null;
    const paymentLink = mode.paymentLink ?? defaultPaymentLink(request.baseUrl);
    let amount = Number(request.amount);
    if (mode.lenient) {
      const account = await stores.ledger.account(request.userId);
      const available = account.balance - account.held;
      if (available <= 0) throw notEnoughCredits(paymentLink);
      amount = Math.min(amount, available);
    }
    const at = now();
    const limits = request.limits;
    const result = await stores.ledger.placeHold({
      id: newId(),
      userId: request.userId,
      keyId: request.keyId,
      callId: request.callId,
      amount,
      owner,
      at,
      expiresAt: at + HOLD_TTL_MS,
      budget:
        limits && (limits.dailyBudget !== null || limits.monthlyBudget !== null)
          ? { dailyBudget: limits.dailyBudget, monthlyBudget: limits.monthlyBudget, ...periodStarts(at) }
          : undefined,
    });
    if (result.ok) return { id: result.hold.id, amount };
    if (result.reason === "balance") throw notEnoughCredits(paymentLink);
    const period = result.reason === "daily_budget" ? "daily" : "monthly";
    throw rateLimited(`This key's ${period} credit budget is used up`, secondsUntilNextPeriod(at, period));
  }

  /** Like `reserve`, returning only the hold's id. */
  async function hold(request: HoldRequest): Promise<string | null> {
    return (await reserve(request))?.id ?? null;
  }

  /** What settles a hold at `actual`, with fresh entry ids. */
  function settlementOf(holdId: string, actual: bigint): HoldSettlement {
    return {
      holdId,
      actual: Number(actual),
      holdEntryId: newId(),
      captureEntryId: newId(),
      releaseEntryId: newId(),
      at: now(),
    };
  }

  /** Captures the actual cost of a held call and releases the rest, now; returns micro-credits captured. */
  async function settle(
    holdId: string | null,
    actual: bigint,
    usage: { keyId: string | null; tokens: number },
  ): Promise<bigint> {
    if (usage.keyId) windows.spend(usage.keyId, usage.tokens);
    if (!holdId) return actual;
    const settled = await stores.ledger.settle(settlementOf(holdId, actual));
    return BigInt(settled?.captured ?? 0);
  }

  /**
   * Settles a hold placed by `reserve`. Within the hold, the capture is the cost exactly (the ledger caps a capture at
   * the hold plus what is free), so the write is queued and the cost returned at once; beyond it, it settles now.
   */
  async function settleHeld(
    held: PlacedHold | null,
    actual: bigint,
    usage: { keyId: string | null; tokens: number },
  ): Promise<bigint> {
    if (!held || !deferSettlement || actual > BigInt(held.amount)) return settle(held?.id ?? null, actual, usage);
    if (usage.keyId) windows.spend(usage.keyId, usage.tokens);
    // Crash window: dying before the group commit leaves the hold open; the next start's reconcile releases it, so
    // that call goes unbilled and nobody is ever overcharged.
    deferSettlement(settlementOf(held.id, actual));
    return actual;
  }

  /** Grants (or with a negative amount, debits) credits once per idempotency key. */
  async function grant(input: {
    userId: string;
    amount: string;
    note?: string;
    idempotencyKey?: string;
    reference?: string;
  }) {
    const amount = parseCredits(input.amount, "amount", true);
    if (amount === 0n) throw invalidRequest("amount must not be zero", "amount");
    if (input.note && input.note.length > 500) throw invalidRequest("note must have at most 500 characters", "note");
    if (input.idempotencyKey !== undefined && !/^[\w.:-]{1,200}$/.test(input.idempotencyKey)) {
      throw invalidRequest("idempotency key must be 1 to 200 letters, digits or . _ : -", "idempotencyKey");
    }
    return stores.ledger.grant({
      entryId: newId(),
      userId: input.userId,
      amount: Number(amount),
      note: input.note ?? null,
      reference: input.reference ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      at: now(),
    });
  }

  /** Creates single-use redeem codes worth `amount` credits each; the codes are returned once. */
  async function createRedeemCodes(input: {
    amount: string;
    count?: number;
    note?: string;
    createdBy?: string;
    expiresAt?: number;
  }) {
    const amount = parseCredits(input.amount);
    if (amount <= 0n) throw invalidRequest("amount must be positive", "amount");
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw invalidRequest("count must be 1 to 1000", "count");
    const codes = Array.from({ length: count }, () => secrets.newKey(REDEEM_PREFIX));
    await stores.ledger.createRedeemCodes(
      codes.map((code) => ({
        id: newId(),
        codeHash: secrets.hashKey(code.key),
        hint: code.hint,
        amount: Number(amount),
        note: input.note ?? null,
        createdBy: input.createdBy ?? null,
        at: now(),
        expiresAt: input.expiresAt ?? null,
      })),
    );
    return codes.map((code) => code.key);
  }

  /** Redeems a code for a user, once. */
  async function redeem(userId: string, code: string) {
    const result = await stores.ledger.redeem({
      codeHash: secrets.hashKey(code.trim()),
      userId,
      entryId: newId(),
      at: now(),
    });
    if (!result) throw notFound("This code is unknown, already used or expired");
    return result;
  }

  /** Registers this process and releases holds of processes that stopped: crashed on this host, or silent elsewhere. */
  async function reconcile(): Promise<number> {
    const at = now();
    await stores.ledger.heartbeat({ id: owner, host, pid, at });
    const live = (await stores.ledger.liveInstances(at - HEARTBEAT_STALE_MS)).filter(
      (instance) => instance.host !== host || instance.id === owner || processAlive(instance.pid),
    );
    return stores.ledger.releaseStale({ liveOwners: live.map((i) => i.id), at, newEntryId: newId });
  }

  /** Forgets this process on a clean stop. */
  async function retire(): Promise<void> {
    await stores.ledger.forgetInstance(owner);
  }

  return {
    admit,
    reserve,
    hold,
    settle,
    settleHeld,
    grant,
    createRedeemCodes,
    redeem,
    reconcile,
    retire,
    settings,
    account: (userId: string) => stores.ledger.account(userId),
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function secondsUntilNextPeriod(at: number, period: "daily" | "monthly"): number {
  const date = new Date(at);
  const next =
    period === "daily"
      ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)
      : Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return (next - at) / 1000;
}

/** Renders an account as `/api/user/info` reports it: decimal strings in credits, available as the balance. */
export function describeAccount(account: CreditAccount) {
  return {
    balance: formatCredits(account.balance - account.held),
    total: formatCredits(account.granted),
    grantCount: account.grantCount,
    pendingCredit: formatCredits(account.held),
  };
}

/** Renders a ledger entry for API responses: amounts as decimal credits. */
export function publicEntry(entry: LedgerEntry) {
  return {
    id: entry.id,
    kind: entry.kind,
    delta: formatCredits(entry.delta),
    amount: formatCredits(entry.amount),
    balanceAfter: formatCredits(entry.balanceAfter),
    reference: entry.reference,
    keyId: entry.keyId,
    note: entry.note,
    createdAt: new Date(entry.createdAt).toISOString(),
  };
}

/** The credits service's type. */
export type Credits = ReturnType<typeof createCredits>;

/** @module In-process fan-out of run events: per-run subscriber sets, bounded buffers, a DB poll for other writers. */
import type { PlatformEvent } from "../../../db/platform-stores";

/** What a subscriber's wait ends with: new events, a buffer overflow (re-read the database), a timeout or close. */
export type SubscriptionWake = PlatformEvent[] | "overflow" | "timeout" | "closed";

/** One live subscriber of a run. */
export interface RunSubscription {
  /** Resolves with what arrived since the last call, or after `timeoutMs` with "timeout". */
  next(timeoutMs: number): Promise<SubscriptionWake>;
  /** Tells the hub this subscriber has everything up to `seq` from the database, so the poll may start there. */
  caughtUp(seq: number): void;
  /** Leaves the run's set; a pending `next` resolves with "closed". */
  close(): void;
}

/** The fan-out hub. */
export interface EventHub {
  /** Pushes committed events to the subscribers of their runs. */
  publish(events: readonly PlatformEvent[]): void;
  /** Joins a run's subscriber set; subscribe before reading the backfill, so nothing falls between the two. */
  subscribe(runId: string): RunSubscription;
  /** Wakes every long poll: offers may have appeared. */
  offersChanged(): void;
  /** Resolves on the next `offersChanged`, after `timeoutMs`, or when `signal` aborts. */
  waitForOffers(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Live subscribers over all runs. */
  subscriberCount(): number;
  /** Closes every subscription and stops the poll. */
  close(): void;
}

/** How many events one poll reads per run. */
const POLL_PAGE = 500;

class Subscriber implements RunSubscription {
  private queue: PlatformEvent[] = [];
  private overflowed = false;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly limit: number,
    private readonly onCaughtUp: (seq: number) => void,
    private readonly onClose: () => void,
  ) {}

  push(events: readonly PlatformEvent[]): void {
    if (this.closed) return;
    if (this.queue.length + events.length > this.limit) {
      // A slow reader never makes the hub buffer without bound: it drops the queue and re-reads the database.
      this.queue = [];
      this.overflowed = true;
    } else {
      this.queue.push(...events);
    }
    this.wake?.();
  }

  async next(timeoutMs: number): Promise<SubscriptionWake> {
    const ready = (): SubscriptionWake | undefined => {
      if (this.closed) return "closed";
      if (this.overflowed) {
        this.overflowed = false;
        return "overflow";
      }
      if (this.queue.length) return this.queue.splice(0);
      return undefined;
    };
    const now = ready();
    if (now) return now;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    return ready() ?? "timeout";
  }

  caughtUp(seq: number): void {
    this.onCaughtUp(seq);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.wake?.();
    this.onClose();
  }
}

interface RunEntry {
  subscribers: Set<Subscriber>;
  /** Every committed event up to here was pushed, or precedes one that was (subscribers repair such gaps). */
  highest: number | null;
}

/** Builds the hub; `readAfter` is the database read the poll and the subscribers' gap repair use. */
export function createEventHub(options: {
  readAfter: (runId: string, afterSeq: number, limit: number) => Promise<PlatformEvent[]>;
  pollMs: number;
  bufferEvents: number;
  onError?: (error: unknown) => void;
}): EventHub {
  const { readAfter, pollMs, bufferEvents, onError = () => {} } = options;
  const byRun = new Map<string, RunEntry>();
  const offerWaiters = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let polling = false;

  function publish(events: readonly PlatformEvent[]): void {
    const grouped = new Map<string, PlatformEvent[]>();
    for (const event of events) grouped.set(event.runId, [...(grouped.get(event.runId) ?? []), event]);
    for (const [runId, batch] of grouped) {
      const entry = byRun.get(runId);
      if (!entry) continue;
      batch.sort((a, b) => a.seq - b.seq);
      entry.highest = Math.max(entry.highest ?? 0, batch[batch.length - 1]!.seq);
      for (const subscriber of entry.subscribers) subscriber.push(batch);
    }
  }

  /** Reads what other processes committed for every watched run (one query per run) and pushes it. */
  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      for (const [runId, entry] of byRun) {
        if (entry.highest === null) continue;
        const events = await readAfter(runId, entry.highest, POLL_PAGE);
        if (events.length) publish(events);
      }
    } catch (error) {
      onError(error);
    } finally {
      polling = false;
    }
  }

  function ensurePolling(): void {
    if (timer || pollMs <= 0) return;
    timer = setInterval(() => void poll(), pollMs);
    // The poll serves open streams only; it must not keep a finished process alive.
    timer.unref?.();
  }

  function stopPollingIfIdle(): void {
    if (byRun.size || !timer) return;
    clearInterval(timer);
    timer = undefined;
  }

  return {
    publish,
    subscribe(runId) {
      let entry = byRun.get(runId);
      if (!entry) {
        entry = { subscribers: new Set(), highest: null };
        byRun.set(runId, entry);
      }
      const owner = entry;
      const subscriber: Subscriber = new Subscriber(
        bufferEvents,
        (seq) => {
          owner.highest = Math.min(owner.highest ?? seq, seq);
        },
        () => {
          owner.subscribers.delete(subscriber);
          if (!owner.subscribers.size && byRun.get(runId) === owner) byRun.delete(runId);
          stopPollingIfIdle();
        },
      );
      owner.subscribers.add(subscriber);
      ensurePolling();
      return subscriber;
    },
    offersChanged() {
      for (const wake of [...offerWaiters]) wake();
    },
    waitForOffers(timeoutMs, signal) {
      return new Promise<void>((resolve) => {
        let deadline: ReturnType<typeof setTimeout> | undefined;
        const done = () => {
          clearTimeout(deadline);
          offerWaiters.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        deadline = setTimeout(done, timeoutMs);
        offerWaiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    },
    subscriberCount() {
      let count = 0;
      for (const entry of byRun.values()) count += entry.subscribers.size;
      return count;
    },
    close() {
      for (const entry of [...byRun.values()]) for (const subscriber of [...entry.subscribers]) subscriber.close();
      for (const wake of [...offerWaiters]) wake();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

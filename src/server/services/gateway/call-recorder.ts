/**
 * @module The gateway's group commit: call records and the hold settlements whose outcome is already known are queued
 * and written together, one transaction per batch, once the responses of the current turn of the event loop are on
 * their way (or at a batch size), off the request path.
 */
import type { CallRecord, HoldSettlement, Stores } from "../../../db/stores";

/** Queues call records and deferred settlements and commits them in batches. */
export function createCallRecorder(deps: { stores: Stores; maxBatch?: number; onError?: (error: unknown) => void }) {
  const { stores, maxBatch = 200, onError = () => {} } = deps;
  let records: CallRecord[] = [];
  let settlements: HoldSettlement[] = [];
  let scheduled: ReturnType<typeof setImmediate> | undefined;
  let writing: Promise<void> = Promise.resolve();

  /** Commits what is queued; concurrent flushes queue behind each other, and each resolves once its batch is written. */
  function flush(): Promise<void> {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (!records.length && !settlements.length) return writing;
    const batch = { records, settlements };
    records = [];
    settlements = [];
    writing = writing.then(() => stores.calls.commit(batch)).catch(onError);
    return writing;
  }

  function queued(): void {
    if (records.length + settlements.length >= maxBatch) void flush();
    // A commit costs mostly its transaction (the WAL pages it rewrites), so what one turn queued goes in one.
    else scheduled ??= setImmediate(() => void flush());
  }

  /** Queues one call record. */
  function record(call: CallRecord): void {
    records.push(call);
    queued();
  }

  /** Queues the settlement of a hold whose capture is already known. */
  function settle(settlement: HoldSettlement): void {
    settlements.push(settlement);
    queued();
  }

  return { record, settle, flush };
}

/** The recorder's type. */
export type CallRecorder = ReturnType<typeof createCallRecorder>;

/**
 * @module The gateway's deferred writes: call records (with their contents, when stored) and the credit tranches'
 * captures and releases are queued off the request path and handed to the call store in batches, in order, which
 * commits them together, one transaction every few milliseconds (CallStore.commit).
 */
import type { CallContent, CallRecord, Stores, TrancheWrite } from "../../../db/stores";

/** Queues call records and tranche writes and commits them in batches. */
export function createCallRecorder(deps: { stores: Stores; maxBatch?: number; onError?: (error: unknown) => void }) {
  const { stores, maxBatch = 200, onError = () => {} } = deps;
  let records: CallRecord[] = [];
  let contents: CallContent[] = [];
  let tranches: TrancheWrite[] = [];
  let scheduled: ReturnType<typeof setImmediate> | undefined;
  const writing = new Set<Promise<void>>();

  /** Hands what is queued to the store (which commits in order); resolves once everything handed over is written. */
  function flush(): Promise<void> {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (records.length || tranches.length) {
      const write = stores.calls.commit({ records, tranches, contents }).catch(onError);
      records = [];
      contents = [];
      tranches = [];
      writing.add(write);
      void write.finally(() => writing.delete(write));
    }
    return Promise.all(writing).then(() => undefined);
  }

  function queued(): void {
    if (records.length + tranches.length >= maxBatch) void flush();
    // What one turn of the event loop queued goes to the store as one batch.
    else scheduled ??= setImmediate(() => void flush());
  }

  /** Queues one call record, and its content when the call stores one (always in the record's batch). */
  function record(call: CallRecord, content?: CallContent): void {
    records.push(call);
    if (content) contents.push(content);
    queued();
  }

  /** Queues a capture from, or a release of, a credit tranche. */
  function tranche(write: TrancheWrite): void {
    tranches.push(write);
    queued();
  }

  return { record, tranche, flush };
}

/** The recorder's type. */
export type CallRecorder = ReturnType<typeof createCallRecorder>;

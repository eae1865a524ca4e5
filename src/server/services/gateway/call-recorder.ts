/** @module Writes call records off the hot path: buffered, flushed in batches on a timer, at a size, and on stop. */
import type { CallRecord, Stores } from "../../../db/stores";

/** Buffers call records and writes them in batches. */
export function createCallRecorder(deps: {
  stores: Stores;
  flushMs?: number;
  maxBatch?: number;
  onError?: (error: unknown) => void;
}) {
  const { stores, flushMs = 250, maxBatch = 200, onError = () => {} } = deps;
  let buffer: CallRecord[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();

  /** Writes what is buffered; concurrent flushes queue behind each other. */
  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = buffer;
    buffer = [];
    if (!batch.length) return writing;
    writing = writing.then(() => stores.calls.insertBatch(batch)).catch(onError);
    return writing;
  }

  /** Queues one record; the write happens within `flushMs` or once `maxBatch` records are waiting. */
  function record(call: CallRecord): void {
    buffer.push(call);
    if (buffer.length >= maxBatch) void flush();
    else timer ??= setTimeout(() => void flush(), flushMs);
  }

  return { record, flush };
}

/** The recorder's type. */
export type CallRecorder = ReturnType<typeof createCallRecorder>;

/** @module One SSE subscriber of a run (§6.7): subscribe, backfill, then live events in seq order without gaps. */
import type { PlatformEvent, RunDetail, RunStore } from "../../../db/platform-stores";
import type { EventHub } from "./event-hub";

/** Events read per backfill page. */
export const BACKFILL_PAGE = 500;

/** Clients wait this long before reconnecting (the first frame says so). */
const RETRY_MS = 3000;

const RUN_END_EVENTS = new Set(["run_completed", "run_failed", "run_cancelled"]);

/** Whether an event is the platform's last word on a run. */
export const isRunEndEvent = (event: PlatformEvent): boolean =>
  event.kind === "system" && RUN_END_EVENTS.has(String(event.payload.event));

/** Formats one SSE frame for an event. */
export const eventFrame = (event: PlatformEvent, toWire: (event: PlatformEvent) => unknown): string =>
  `id: ${event.seq}\nevent: event\ndata: ${JSON.stringify(toWire(event))}\n\n`;

/** An open stream: its frames (pull one at a time) and a way to stop early. */
export interface RunStream {
  /** The next frame, or null once the stream is over. */
  next(): Promise<string | null>;
  /** Ends the stream and leaves the run's subscriber set. */
  close(): void;
}

/**
 * Opens a subscriber from `afterSeq`. Returns null when the run is terminal and nothing after `afterSeq` exists (the
 * caller answers 204, which stops EventSource from reconnecting).
 */
export async function openRunStream(input: {
  run: RunDetail;
  afterSeq: number;
  runs: Pick<RunStore, "eventsAfter" | "lastSeq" | "findRun">;
  hub: EventHub;
  keepaliveMs: number;
  toWire: (event: PlatformEvent) => unknown;
}): Promise<RunStream | null> {
  const { run, runs, hub, keepaliveMs, toWire } = input;
  const subscription = hub.subscribe(run.id);
  const terminalAtOpen = run.status === "completed" || run.status === "failed";
  if (terminalAtOpen && (await runs.lastSeq(run.id)) <= input.afterSeq) {
    subscription.close();
    return null;
  }
  let last = input.afterSeq;
  let ended = false;
  const pending: string[] = [`retry: ${RETRY_MS}\n\n`];

  const send = (event: PlatformEvent) => {
    pending.push(eventFrame(event, toWire));
    last = event.seq;
    if (isRunEndEvent(event)) ended = true;
  };

  /** Reads one page after `last`; true when the database had a full page (more may follow). */
  async function readPage(): Promise<boolean> {
    const page = await runs.eventsAfter(run.id, last, BACKFILL_PAGE);
    for (const event of page) send(event);
    return page.length === BACKFILL_PAGE;
  }

  let phase: "backfill" | "live" | "done" = "backfill";

  async function produce(): Promise<void> {
    if (phase === "backfill") {
      let more: boolean;
      try {
        more = await readPage();
      } catch {
        pending.push(`event: error\ndata: ${JSON.stringify({ error: "backfill failed" })}\n\n`);
        phase = "done";
        return;
      }
      if (more) return;
      subscription.caughtUp(last);
      if (terminalAtOpen) ended = true;
      phase = "live";
      return;
    }
    if (ended) {
      const status = (await runs.findRun({ id: run.id }))?.status ?? run.status;
      pending.push(`event: end\ndata: ${JSON.stringify({ run_id: run.id, status })}\n\n`);
      phase = "done";
      return;
    }
    const wake = await subscription.next(keepaliveMs);
    if (wake === "closed") {
      phase = "done";
    } else if (wake === "timeout") {
      pending.push(": keepalive\n\n");
    } else if (wake === "overflow") {
      phase = "backfill";
    } else {
      for (const event of wake) {
        if (event.seq <= last) continue;
        if (event.seq > last + 1) {
          // A gap: the missing events are committed (seq is allocated under the write lock), so re-read them.
          phase = "backfill";
          return;
        }
        send(event);
      }
    }
  }

  return {
    async next() {
      while (!pending.length && phase !== "done") await produce();
      const frame = pending.shift();
      if (frame === undefined) subscription.close();
      return frame ?? null;
    },
    close() {
      phase = "done";
      pending.length = 0;
      subscription.close();
    },
  };
}

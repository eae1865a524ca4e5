/**
 * @module Follows a run's live stream (§6.7): EventSource resumes with Last-Event-ID by itself; events are kept once
 * per seq, in order, and rendered in batches so a long backfill does not re-render the page per event.
 */
import { useEffect, useState } from "preact/hooks";
import { platform } from "./api";
import type { RunEvent, RunStatus, RunView } from "./wire";

/** Where the live view stands. */
export type LiveState = "connecting" | "live" | "reconnecting" | "ended";

/** The live view of a run. */
export interface Live {
  events: RunEvent[];
  state: LiveState;
  /** The run's final status once the stream said it ended. */
  endStatus?: RunStatus;
  /** Counts the batches that carried platform events (claims, completion), which change the run's status. */
  changes: number;
  /** Why the stream cannot be followed at all (an unknown run). */
  failure?: unknown;
}

const FLUSH_MS = 50;
/** How long to wait before opening a new stream when the browser gave up on the old one (429, a restart). */
const REOPEN_MS = 3000;

const isTerminal = (status: RunStatus) => status === "completed" || status === "failed";

/** Streams the run's events from `GET /v1/runs/{id}/stream`, de-duplicated by seq. */
export function useLiveEvents(runId: string): Live {
  const [live, setLive] = useState<Live>({ events: [], state: "connecting", changes: 0 });
  useEffect(() => {
    const path = `/v1/runs/${encodeURIComponent(runId)}`;
    let lastSeq = 0;
    let pending: RunEvent[] = [];
    let source: EventSource | undefined;
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    let reopenTimer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const update = (change: Partial<Live>) => setLive((current) => ({ ...current, ...change }));

    const flush = () => {
      flushTimer = undefined;
      const batch = pending;
      pending = [];
      const platformNews = batch.some((event) => event.kind === "system");
      setLive((current) => ({
        ...current,
        events: [...current.events, ...batch],
        changes: current.changes + (platformNews ? 1 : 0),
      }));
    };
    const end = (status: RunStatus) => {
      source?.close();
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      update({ state: "ended", endStatus: status });
    };
    // The browser closed the stream for good (204 for a finished run, 404, 429): the run says which it was.
    const explain = async () => {
      try {
        const run = await platform<RunView>("GET", path);
        if (stopped) return;
        if (isTerminal(run.status)) return end(run.status);
      } catch (error) {
        if (stopped) return;
        if ((error as { status?: number }).status === 404) return update({ state: "ended", failure: error });
      }
      update({ state: "reconnecting" });
      reopenTimer = setTimeout(open, REOPEN_MS);
    };
    function open() {
      // A new EventSource sends no Last-Event-ID, so the last seq seen goes into the URL instead.
      source = new EventSource(`${path}/stream?after_seq=${lastSeq}`);
      source.onopen = () => update({ state: "live" });
      source.addEventListener("event", (frame) => {
        const event = JSON.parse((frame as MessageEvent<string>).data) as RunEvent;
        // Events come in seq order; one at or below the last seen is a repeat after a resume.
        if (event.seq <= lastSeq) return;
        lastSeq = event.seq;
        pending.push(event);
        flushTimer ??= setTimeout(flush, FLUSH_MS);
      });
      source.addEventListener("end", (frame) => {
        end((JSON.parse((frame as MessageEvent<string>).data) as { status: RunStatus }).status);
      });
      source.onerror = () => {
        if (source?.readyState === EventSource.CLOSED) void explain();
        // Otherwise the browser reconnects by itself after the server's `retry`, sending Last-Event-ID.
        else update({ state: "reconnecting" });
      };
    }
    open();
    return () => {
      stopped = true;
      source?.close();
      clearTimeout(flushTimer);
      clearTimeout(reopenTimer);
    };
  }, [runId]);
  return live;
}

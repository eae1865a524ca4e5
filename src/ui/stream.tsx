/** @jsxImportSource preact */
/** @module The live view of a run (/ui/stream.html?run_id=): its events as the agents emit them, in order, once each. */
import { useEffect, useRef } from "preact/hooks";
import { describeError } from "./lib/api";
import { ErrorText, Notice } from "./lib/components";
import { EventItem, MissingRun, RunSummary, useRun } from "./lib/runs/components";
import { queryValue, statusWord, viewPath } from "./lib/runs/format";
import { type Live, useLiveEvents } from "./lib/runs/live";
import { rt } from "./lib/runs/text";
import "./lib/runs/runs.css";
import { mountPage } from "./lib/shell";

/** The newest events shown; the replay page holds the rest. */
const SHOWN_EVENTS = 500;
/** How close to the bottom (px) the visitor must be for the page to follow new events. */
const FOLLOW_SLACK = 120;

function StreamPage(props: { runId: string }) {
  const live = useLiveEvents(props.runId);
  const run = useRun(props.runId, live.changes + (live.state === "ended" ? 1 : 0));
  return (
    <div class="page">
      <RunSummary run={run} runId={props.runId} view="live" />
      {live.failure ? <ErrorText error={describeError(live.failure)} /> : <LiveLog live={live} runId={props.runId} />}
    </div>
  );
}

function LiveLog(props: { live: Live; runId: string }) {
  const { live } = props;
  const shown = live.events.slice(-SHOWN_EVENTS);
  useFollow(live.events.length);
  return (
    <section class="panel" aria-labelledby="events-title">
      <div class="panel-head">
        <h2 id="events-title">{rt("stream.events")}</h2>
        <span class="muted">{rt("stream.count", { count: live.events.length })}</span>
      </div>
      <p class={`live-state ${live.state}`} role="status">
        {live.state === "ended"
          ? rt("stream.ended", { status: statusWord(live.endStatus ?? "completed") })
          : rt(`stream.${live.state}`)}
        {live.state === "ended" && (
          <>
            {" "}
            <a href={viewPath("replay", props.runId)}>{rt("view.replay")}</a> ·{" "}
            <a href={viewPath("work", props.runId)}>{rt("view.work")}</a>
          </>
        )}
      </p>
      {live.events.length > shown.length && (
        <Notice kind="info">
          {rt("stream.earlier", { count: live.events.length - shown.length })}{" "}
          <a href={viewPath("replay", props.runId)}>{rt("view.replay")}</a>
        </Notice>
      )}
      {live.events.length === 0 && live.state !== "ended" && <p class="muted">{rt("stream.waiting")}</p>}
      <div role="log" aria-labelledby="events-title">
        <ol class="events">
          {shown.map((event) => (
            <EventItem key={event.seq} event={event} />
          ))}
        </ol>
      </div>
    </section>
  );
}

/** Keeps the newest event in view while the visitor is at the bottom; reading further up is left alone. */
function useFollow(count: number) {
  const atBottom = useRef(true);
  useEffect(() => {
    const watch = () => {
      atBottom.current = window.innerHeight + window.scrollY >= document.body.scrollHeight - FOLLOW_SLACK;
    };
    addEventListener("scroll", watch, { passive: true });
    return () => removeEventListener("scroll", watch);
  }, []);
  useEffect(() => {
    if (atBottom.current && count > 0) window.scrollTo(0, document.body.scrollHeight);
  }, [count]);
}

const runId = queryValue("run_id");
mountPage({
  page: "runs",
  public: true,
  title: () => rt("stream.title"),
  render: () => (runId ? <StreamPage runId={runId} /> : <MissingRun />),
});

/** @jsxImportSource preact */
/**
 * @module The replay of a run (/ui/replay.html?run_id=&seq=): every event, paged in through `next_after_seq`, and a
 * position control that steps, plays or jumps through them; `seq` opens the replay at that event.
 */
import { useEffect, useId, useState } from "preact/hooks";
import { ApiError, describeError } from "./lib/api";
import { Button, ErrorText, Panel } from "./lib/components";
import { platform } from "./lib/runs/api";
import { EventItem, MissingRun, RunSummary, useRun } from "./lib/runs/components";
import { eventBody, kindWord, queryNumber, queryValue, truncate } from "./lib/runs/format";
import { rt } from "./lib/runs/text";
import type { ReplayPage, RunEvent } from "./lib/runs/wire";
import "./lib/runs/runs.css";
import { mountPage } from "./lib/shell";

const PAGE_EVENTS = 500;
/** Events listed below the position; the slider reaches the others. */
const WINDOW = 100;
const PLAY_STEP_MS = 700;
const KEY_NODE_CHARS = 80;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Loads every event of the run, page after page; a rate limit waits as long as the hub asks and goes on. */
function useAllEvents(runId: string) {
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [done, setDone] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      let after = 0;
      for (;;) {
        const path = `/v1/runs/${encodeURIComponent(runId)}/replay?after_seq=${after}&limit=${PAGE_EVENTS}`;
        let page: ReplayPage;
        try {
          page = await platform<ReplayPage>("GET", path);
        } catch (error) {
          if (!(error instanceof ApiError && error.status === 429)) throw error;
          await pause((error.retryAfterSeconds ?? 5) * 1000);
          continue;
        }
        if (stopped) return;
        setEvents((loaded) => [...loaded, ...page.events]);
        if (!page.has_more || page.events.length === 0) break;
        after = page.next_after_seq;
      }
      setDone(true);
    };
    load().catch((error: unknown) => stopped || setFailure(error));
    return () => {
      stopped = true;
    };
  }, [runId]);
  return { events, done, error: failure === undefined ? undefined : describeError(failure) };
}

function ReplayPageView(props: { runId: string }) {
  const run = useRun(props.runId);
  const all = useAllEvents(props.runId);
  const total = all.events.length;
  const jumpSeq = queryNumber("seq");
  // null follows the end while events load; a number is where the visitor (or `?seq=`) put the position.
  const [chosen, setChosen] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const seqIndex = jumpSeq === null ? -1 : all.events.findIndex((event) => event.seq === jumpSeq);
  const position = Math.min(total, chosen ?? (seqIndex >= 0 ? seqIndex + 1 : jumpSeq && !all.done ? 0 : total));
  const move = (next: number) => setChosen(Math.max(0, Math.min(total, next)));

  useEffect(() => {
    if (!playing) return;
    if (position >= total) return setPlaying(false);
    const timer = setTimeout(() => move(position + 1), PLAY_STEP_MS);
    return () => clearTimeout(timer);
  }, [playing, position, total]);

  const reached = all.events.slice(0, position);
  return (
    <div class="page">
      <RunSummary run={run} runId={props.runId} view="replay" />
      <ErrorText error={all.error} />
      <p class="muted" role="status">
        {all.done ? rt("replay.loaded", { count: total }) : rt("replay.loading", { count: total })}
      </p>
      {all.done && total === 0 ? (
        <p class="muted">{rt("replay.empty")}</p>
      ) : (
        <>
          <PositionControl
            position={position}
            total={total}
            playing={playing}
            onMove={(next) => {
              setPlaying(false);
              move(next);
            }}
            onPlay={() => {
              if (position >= total) move(0);
              setPlaying(!playing);
            }}
          />
          <div class="replay">
            <Panel title={rt("replay.all")}>
              {position === 0 ? (
                <p class="muted">{rt("replay.atStart")}</p>
              ) : (
                <>
                  {position > WINDOW && (
                    <p class="muted small">{rt("replay.window", { from: position - WINDOW + 1, to: position })}</p>
                  )}
                  {/* Newest first, so the event at the position sits right below the control. */}
                  <ol class="events reversed">
                    {reached
                      .slice(-WINDOW)
                      .reverse()
                      .map((event, index) => (
                        <EventItem key={event.seq} event={event} current={index === 0} />
                      ))}
                  </ol>
                </>
              )}
            </Panel>
            <KeyNodes events={reached} onJump={(index) => move(index + 1)} />
          </div>
        </>
      )}
    </div>
  );
}

/** The slider with start, back, play, forward and end buttons; the slider announces "Event n of m". */
function PositionControl(props: {
  position: number;
  total: number;
  playing: boolean;
  onMove: (position: number) => void;
  onPlay: () => void;
}) {
  const id = useId();
  const { position, total, onMove } = props;
  const valueText = rt("replay.positionValue", { position, total });
  return (
    <fieldset class="panel replay-controls">
      <legend class="visually-hidden">{rt("replay.controls")}</legend>
      <div class="field position-field">
        <label for={id}>{rt("replay.position")}</label>
        <input
          id={id}
          type="range"
          min={0}
          max={total}
          step={1}
          value={position}
          aria-valuetext={valueText}
          onInput={(event) => onMove(Number(event.currentTarget.value))}
        />
        <output for={id}>{valueText}</output>
      </div>
      <div class="actions">
        <Button label={rt("replay.start")} disabled={position === 0} onClick={() => onMove(0)}>
          |◀
        </Button>
        <Button label={rt("replay.back")} disabled={position === 0} onClick={() => onMove(position - 1)}>
          ◀
        </Button>
        <Button kind="primary" disabled={total === 0} onClick={props.onPlay}>
          {props.playing ? rt("replay.pause") : rt("replay.play")}
        </Button>
        <Button label={rt("replay.forward")} disabled={position >= total} onClick={() => onMove(position + 1)}>
          ▶
        </Button>
        <Button label={rt("replay.end")} disabled={position >= total} onClick={() => onMove(total)}>
          ▶|
        </Button>
      </div>
    </fieldset>
  );
}

/** The key nodes up to the position; each one moves the position to it. */
function KeyNodes(props: { events: RunEvent[]; onJump: (index: number) => void }) {
  const nodes = props.events.flatMap((event, index) => (event.is_key_node ? [{ event, index }] : []));
  return (
    <Panel title={rt("replay.keyNodes")}>
      {nodes.length === 0 ? (
        <p class="muted">{rt("replay.noKeyNodes")}</p>
      ) : (
        <ol class="key-nodes">
          {nodes.map(({ event, index }) => (
            <li key={event.seq}>
              <button type="button" class="link-button" onClick={() => props.onJump(index)}>
                <span class="mono">#{event.seq}</span> {kindWord(event.kind)}{" "}
                <span class="muted small">{truncate(eventBody(event.payload).text, KEY_NODE_CHARS)}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </Panel>
  );
}

const runId = queryValue("run_id");
mountPage({
  page: "runs",
  public: true,
  title: () => rt("replay.title"),
  render: () => (runId ? <ReplayPageView runId={runId} /> : <MissingRun />),
});

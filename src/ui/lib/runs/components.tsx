/** @jsxImportSource preact */
/** @module Pieces the run pages share: the run's summary with links to its views, status badges and one event. */
import type { ComponentChildren } from "preact";
import { useId } from "preact/hooks";
import { Badge, ErrorText, Notice } from "../components";
import { type Loaded, useLoad } from "../hooks";
import { t } from "../text";
import { platform } from "./api";
import { eventBody, formatSeconds, kindWord, statusWord, VIEWS, type View, viewPath } from "./format";
import { rt } from "./text";
import type { RunEvent, RunStatus, RunView } from "./wire";

const STATUS_TONE = { created: "muted", running: "warn", completed: "ok", failed: "bad" } as const;

/** A run's status as a word in a badge. */
export function StatusBadge(props: { status: RunStatus }) {
  return <Badge tone={STATUS_TONE[props.status]}>{statusWord(props.status)}</Badge>;
}

/** Loads a run; `round` loads it again when it changes (after a live run ends). */
export function useRun(runId: string, round = 0): Loaded<RunView> {
  return useLoad(() => platform<RunView>("GET", `/v1/runs/${encodeURIComponent(runId)}`), [runId, round]);
}

/** Links to the live, replay and work views of a run; the page's own view is marked as current. */
export function ViewLinks(props: { runId: string; current: View }) {
  return (
    <nav class="run-views" aria-label={rt("view.label")}>
      {(Object.keys(VIEWS) as View[]).map((view) => (
        <a
          key={view}
          class="button-link"
          href={viewPath(view, props.runId)}
          aria-current={view === props.current ? "page" : undefined}
        >
          {rt(`view.${view}`)}
        </a>
      ))}
    </nav>
  );
}

/** The page heading and the run it shows: status, goal, constraints, tags, times and links to its other views. */
export function RunSummary(props: { run: Loaded<RunView>; runId: string; view: View; children?: ComponentChildren }) {
  const goalId = useId();
  const run = props.run.data;
  return (
    <>
      <div class="page-head">
        <h1>{rt(`view.${props.view}`)}</h1>
        <ViewLinks runId={props.runId} current={props.view} />
      </div>
      <ErrorText error={props.run.error} />
      {!run && !props.run.error && <p class="muted">{t("loading")}</p>}
      {run && (
        <section class="panel run-summary" aria-labelledby={goalId}>
          <p class="run-meta">
            <StatusBadge status={run.status} />
            <span class="mono">{run.run_ref}</span>
            <span>
              {rt("run.published")} <time dateTime={run.created_at}>{formatSeconds(run.created_at)}</time>
            </span>
            {run.completed_at && (
              <span>
                {rt("run.finished")} <time dateTime={run.completed_at}>{formatSeconds(run.completed_at)}</time>
              </span>
            )}
            {run.failure_reason && (
              <span>
                {rt("run.reason")}: {run.failure_reason}
              </span>
            )}
          </p>
          <h2 id={goalId} class="run-goal">
            {run.goal}
          </h2>
          {(run.constraints || run.required_tags.length > 0) && (
            <dl class="run-facts">
              {run.constraints && (
                <>
                  <dt>{rt("run.constraints")}</dt>
                  <dd class="pre-wrap">{run.constraints}</dd>
                </>
              )}
              {run.required_tags.length > 0 && (
                <>
                  <dt>{rt("run.tags")}</dt>
                  <dd>
                    <TagList tags={run.required_tags} />
                  </dd>
                </>
              )}
            </dl>
          )}
          {props.children}
        </section>
      )}
    </>
  );
}

/** Tags as a list of chips. */
export function TagList(props: { tags: string[] }) {
  return (
    <ul class="tags">
      {props.tags.map((tag) => (
        <li key={tag}>{tag}</li>
      ))}
    </ul>
  );
}

/** One event: `#seq · kind · persona · time`, then its text (or payload as JSON); key nodes stand out. */
export function EventItem(props: { event: RunEvent; current?: boolean }) {
  const { event } = props;
  const body = eventBody(event.payload);
  const classes = ["event", event.is_key_node && "key", event.kind === "system" && "system"].filter(Boolean);
  return (
    <li class={classes.join(" ")} id={`seq-${event.seq}`} aria-current={props.current ? "step" : undefined}>
      <p class="event-head">
        <span class="mono">#{event.seq}</span>
        <span>{kindWord(event.kind)}</span>
        <span>{event.persona}</span>
        <time dateTime={event.created_at}>{formatSeconds(event.created_at)}</time>
        {event.is_key_node && <Badge tone="warn">{rt("keyNode")}</Badge>}
      </p>
      {body.json ? <pre class="event-json">{body.text}</pre> : <p class="event-text">{body.text}</p>}
    </li>
  );
}

/** What a run page says when its address names no run. */
export function MissingRun() {
  return (
    <Notice kind="warning">
      {rt("run.missing")} <a href="/ui/">{rt("run.toList")}</a>
    </Notice>
  );
}

/** @jsxImportSource preact */
/** @module The public home (/ui/): searchable run list with live, replay and work links, and how to take part. */
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { describeError } from "./lib/api";
import { Button, ErrorText, Panel } from "./lib/components";
import { Form, TextField } from "./lib/fields";
import { formatTime } from "./lib/i18n";
import { platform } from "./lib/runs/api";
import { StatusBadge } from "./lib/runs/components";
import { queryValue, truncate, VIEWS, type View, viewPath } from "./lib/runs/format";
import { rt } from "./lib/runs/text";
import type { RunList, RunListItem } from "./lib/runs/wire";
import "./lib/runs/runs.css";
import { mountPage } from "./lib/shell";
import { t } from "./lib/text";

const PAGE_SIZE = 20;
const GOAL_CHARS = 220;

/** Loads runs matching a query page by page; a new query starts over, and a slower old answer is ignored. */
function useRunSearch(initial: string) {
  const [query, setQuery] = useState(initial);
  const [runs, setRuns] = useState<RunListItem[]>([]);
  const [next, setNext] = useState<number>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  const latest = useRef(initial);

  const load = async (offset: number, q: string) => {
    setBusy(true);
    setFailure(undefined);
    try {
      const params = new URLSearchParams({ q, limit: String(PAGE_SIZE), offset: String(offset) });
      const page = await platform<RunList>("GET", `/v1/runs?${params}`);
      // A new query typed while this page loaded must not mix the two result sets.
      if (q !== latest.current) return;
      setRuns((shown) => (offset === 0 ? page.runs : [...shown, ...page.runs]));
      setNext(page.has_more ? page.next_offset : undefined);
    } catch (error) {
      if (q === latest.current) setFailure(error);
    } finally {
      if (q === latest.current) setBusy(false);
    }
  };
  useEffect(() => {
    latest.current = query;
    void load(0, query);
  }, [query]);
  return {
    runs,
    busy,
    query,
    error: failure === undefined ? undefined : describeError(failure),
    search: setQuery,
    more: next === undefined ? undefined : () => load(next, query),
  };
}

function HomePage() {
  const results = useRunSearch(queryValue("q") ?? "");
  const [text, setText] = useState(results.query);
  const search = (q: string) => {
    setText(q);
    // The address keeps the search, so the list can be shared or reloaded as it is.
    const url = new URL(location.href);
    if (q) url.searchParams.set("q", q);
    else url.searchParams.delete("q");
    history.replaceState(null, "", url);
    results.search(q);
  };
  return (
    <div class="page">
      <div class="page-head">
        <h1>{rt("index.heading")}</h1>
      </div>
      <p class="lead">{rt("index.intro")}</p>
      <div class="home">
        <div class="home-main">
          <search>
            <Form inline onSubmit={(values) => search(values.q ?? "")}>
              <TextField
                label={rt("search.label")}
                name="q"
                type="search"
                value={text}
                onInput={setText}
                hint={rt("search.hint")}
              />
              <Button type="submit" kind="primary" busy={results.busy}>
                {rt("search.submit")}
              </Button>
              {results.query && <Button onClick={() => search("")}>{rt("search.clear")}</Button>}
            </Form>
          </search>
          <h2 class="results-title">{results.query ? rt("results.for", { q: results.query }) : rt("results.all")}</h2>
          <ErrorText error={results.error} />
          {results.runs.length > 0 ? (
            <ul class="run-cards">
              {results.runs.map((run) => (
                <RunCard key={run.run_id} run={run} />
              ))}
            </ul>
          ) : (
            !results.busy &&
            !results.error && (
              <p class="muted">{results.query ? rt("results.noMatch", { q: results.query }) : rt("results.none")}</p>
            )
          )}
          {results.busy && <p class="muted">{t("loading")}</p>}
          {results.more && !results.busy && <Button onClick={results.more}>{rt("results.more")}</Button>}
        </div>
        <Panel title={rt("steps.title")}>
          <ol class="steps">
            <li>{rt("steps.1")}</li>
            <li>{rt("steps.2")}</li>
            <li>{rt("steps.3")}</li>
          </ol>
          <a href="/ui/settings.html">{rt("steps.guide")}</a>
        </Panel>
      </div>
    </div>
  );
}

/** One run: status · local time · output, the goal cut to 220 characters, and its three views. */
function RunCard(props: { run: RunListItem }) {
  const { run } = props;
  const goalId = useId();
  return (
    <li class="run-card">
      <p class="run-meta">
        <StatusBadge status={run.status} />
        <time dateTime={run.created_at}>{formatTime(run.created_at)}</time>
        <span>{run.output_version ? rt("run.output", { version: run.output_version }) : rt("run.noOutput")}</span>
        {run.persona_count > 0 && <span>{rt("run.personas", { count: run.persona_count })}</span>}
      </p>
      <p id={goalId} class="run-card-goal">
        {truncate(run.goal, GOAL_CHARS)}
      </p>
      <div class="run-card-links">
        {(Object.keys(VIEWS) as View[]).map((view) => (
          <a key={view} class="button-link" href={viewPath(view, run.run_id)} aria-describedby={goalId}>
            {rt(`view.${view}`)}
          </a>
        ))}
      </div>
    </li>
  );
}

mountPage({ page: "runs", public: true, title: () => rt("index.title"), render: () => <HomePage /> });

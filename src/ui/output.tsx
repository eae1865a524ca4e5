/** @jsxImportSource preact */
/**
 * @module The work of a run (/ui/output.html?run_id=&version=): the output artifact, every version newest first, and
 * for each the key node it came from, opened in the replay.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, describeError } from "./lib/api";
import { Badge, Button, ErrorText, Notice, Panel } from "./lib/components";
import { platform } from "./lib/runs/api";
import { MissingRun, RunSummary, useRun } from "./lib/runs/components";
import { formatSeconds, queryNumber, queryValue, viewPath } from "./lib/runs/format";
import { rt } from "./lib/runs/text";
import type { ArtifactView } from "./lib/runs/wire";
import "./lib/runs/runs.css";
import { mountPage } from "./lib/shell";
import { t } from "./lib/text";

/** Versions loaded per step, newest first: each is one request, and a version can be 200 KB. */
const VERSIONS_PER_STEP = 10;

const isNotFound = (error: unknown) => error instanceof ApiError && error.status === 404;

/** The run's output and its versions as far as loaded; `more` loads the next older ones. */
function useVersions(runId: string) {
  const base = `/v1/runs/${encodeURIComponent(runId)}`;
  const fetchVersion = (version: number) => platform<ArtifactView>("GET", `${base}/artifacts/${version}`);
  const [output, setOutput] = useState<ArtifactView | null>();
  const [versions, setVersions] = useState<ArtifactView[]>([]);
  const [busy, setBusy] = useState(true);
  const [failure, setFailure] = useState<unknown>();

  const loadBelow = async (top: number) => {
    const wanted = Array.from({ length: Math.min(VERSIONS_PER_STEP, top - 1) }, (_, i) => top - 1 - i);
    const older = await Promise.all(wanted.map(fetchVersion));
    setVersions((loaded) => [...loaded, ...older]);
  };
  const guard = (work: () => Promise<void>) => {
    setBusy(true);
    work()
      .catch(setFailure)
      .finally(() => setBusy(false));
  };

  useEffect(
    () =>
      guard(async () => {
        let shown: ArtifactView;
        try {
          shown = await platform<ArtifactView>("GET", `${base}/output`);
        } catch (error) {
          if (isNotFound(error)) return setOutput(null);
          throw error;
        }
        setOutput(shown);
        // Versions are gapless from 1 and the output may not be the newest (a draft after the final): look above it.
        const newer: ArtifactView[] = [];
        for (let version = shown.version + 1; ; version++) {
          const found = await fetchVersion(version).catch((error: unknown) => {
            if (isNotFound(error)) return null;
            throw error;
          });
          if (!found) break;
          newer.unshift(found);
        }
        setVersions([...newer, shown]);
        await loadBelow(shown.version);
      }),
    [runId],
  );
  const lowest = versions.at(-1)?.version ?? 1;
  return {
    output,
    versions,
    busy,
    error: failure === undefined ? undefined : describeError(failure),
    fetchVersion,
    more: lowest > 1 ? () => guard(() => loadBelow(lowest)) : undefined,
  };
}

function OutputPage(props: { runId: string }) {
  const run = useRun(props.runId);
  const work = useVersions(props.runId);
  const [chosen, setChosen] = useState(queryNumber("version"));
  const [extra, setExtra] = useState<ArtifactView>();
  const shownVersion = chosen ?? work.output?.version;
  const shown =
    work.versions.find((artifact) => artifact.version === shownVersion) ??
    (extra?.version === shownVersion ? extra : undefined);

  // A deep link may name a version older than the loaded ones: fetch just that one.
  useEffect(() => {
    if (chosen === null || shown || work.busy) return;
    work.fetchVersion(chosen).then(setExtra, () => setChosen(null));
  }, [chosen, shown, work.busy]);

  const select = (version: number) => {
    setChosen(version);
    const url = new URL(location.href);
    url.searchParams.set("version", String(version));
    history.replaceState(null, "", url);
  };
  return (
    <div class="page">
      <RunSummary run={run} runId={props.runId} view="work" />
      <ErrorText error={work.error} />
      {work.output === undefined && !work.error && <p class="muted">{t("loading")}</p>}
      {work.output === null && <Notice kind="info">{rt("output.none")}</Notice>}
      {work.output && (
        <div class="work">
          {shown ? (
            <ArtifactPanel artifact={shown} runId={props.runId} isOutput={shown.version === work.output.version} />
          ) : (
            <p class="muted">{t("loading")}</p>
          )}
          <Panel title={rt("output.versions")}>
            <ol class="versions">
              {work.versions.map((artifact) => (
                <li key={artifact.version} aria-current={artifact.version === shown?.version ? "true" : undefined}>
                  <a
                    href={viewPath("work", props.runId, { version: artifact.version })}
                    onClick={(event) => {
                      event.preventDefault();
                      select(artifact.version);
                    }}
                  >
                    {rt("output.version", { version: artifact.version })}
                  </a>
                  <span>{rt(`artifact.${artifact.kind}`)}</span>
                  <span class="muted">{artifact.author}</span>
                  <time class="muted" dateTime={artifact.created_at}>
                    {formatSeconds(artifact.created_at)}
                  </time>
                  {artifact.version === work.output!.version && <Badge tone="ok">{rt("output.isOutput")}</Badge>}
                  {artifact.version === shown?.version && <Badge tone="muted">{rt("output.shown")}</Badge>}
                  <KeyNodeLink runId={props.runId} seq={artifact.linked_seq} />
                </li>
              ))}
            </ol>
            {work.more && (
              <Button busy={work.busy} onClick={work.more}>
                {rt("output.earlier")}
              </Button>
            )}
          </Panel>
        </div>
      )}
    </div>
  );
}

/** One version: `version=N kind=K`, its author and time, the key node it came from, and its content as text. */
function ArtifactPanel(props: { artifact: ArtifactView; runId: string; isOutput: boolean }) {
  const { artifact } = props;
  return (
    <Panel
      title={rt("output.meta", { version: artifact.version, kind: rt(`artifact.${artifact.kind}`) })}
      actions={props.isOutput && <Badge tone="ok">{rt("output.isOutput")}</Badge>}
    >
      <p class="run-meta">
        <span>{rt("output.author", { author: artifact.author })}</span>
        <time dateTime={artifact.created_at}>{formatSeconds(artifact.created_at)}</time>
        <KeyNodeLink runId={props.runId} seq={artifact.linked_seq} />
      </p>
      <pre class="artifact">{artifact.content}</pre>
    </Panel>
  );
}

/** Opens the replay at the key node a version links to; nothing when it links to none. */
function KeyNodeLink(props: { runId: string; seq: number | null }) {
  if (props.seq === null) return null;
  return <a href={viewPath("replay", props.runId, { seq: props.seq })}>{rt("output.keyNode", { seq: props.seq })}</a>;
}

const runId = queryValue("run_id");
mountPage({
  page: "runs",
  public: true,
  title: () => rt("output.title"),
  render: () => (runId ? <OutputPage runId={runId} /> : <MissingRun />),
});

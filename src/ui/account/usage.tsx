/** @jsxImportSource preact */
/** @module Usage over time (a uPlot chart, one line per model) and by model (a table with each model's share). */
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import type { UsageDayView, UsageReport } from "../../shared/api";
import { call } from "../lib/api";
import { type Column, DataTable, ErrorText, Panel } from "../lib/components";
import { SelectField } from "../lib/fields";
import { useLoad } from "../lib/hooks";
import { formatCount, localeTag } from "../lib/i18n";
import { t } from "../lib/text";
import { at } from "./text";

type Metric = "cost" | "tokens" | "requests";
const PERIODS = [7, 30, 90];
/** More lines than this are unreadable; the rest are summed into "other models". */
const MAX_LINES = 5;
/** Tells the lines apart in light and dark; the legend names each one, so colour is never the only cue. */
const PALETTE = ["#2f6fde", "#e8710a", "#1e8e3e", "#d01884", "#9334e6", "#80868b"];

/** Exact decimal credits → integer micro-credits, so sums do not pick up binary-float noise. */
function micro(credits: string): number {
  const negative = credits.startsWith("-");
  const [whole = "0", fraction = ""] = credits.replace(/^-/, "").split(".");
  const value = Number(whole) * 1_000_000 + Number(fraction.padEnd(6, "0").slice(0, 6));
  return negative ? -value : value;
}

/** Integer micro-credits → a decimal credit string without trailing zeros. */
function credits(microCredits: number): string {
  const whole = Math.trunc(microCredits / 1_000_000);
  const fraction = String(Math.abs(microCredits % 1_000_000))
    .padStart(6, "0")
    .replace(/0+$/, "");
  return fraction ? `${microCredits < 0 && whole === 0 ? "-" : ""}${whole}.${fraction}` : String(whole);
}

function measure(row: UsageDayView, metric: Metric): number {
  if (metric === "cost") return micro(row.cost);
  return metric === "tokens" ? row.inputTokens + row.outputTokens : row.requests;
}

/** Every day from `since` to today (UTC dates, as the hub aggregates them). */
function daysSince(since: string): string[] {
  const days: string[] = [];
  const today = new Date().toISOString().slice(0, 10);
  for (let at = Date.parse(`${since}T00:00:00Z`); days.length < 400; at += 86_400_000) {
    const day = new Date(at).toISOString().slice(0, 10);
    days.push(day);
    if (day >= today) break;
  }
  return days;
}

/** The chart's series: the heaviest models by the metric, the rest summed as one line. */
function chartSeries(report: UsageReport, metric: Metric) {
  const days = daysSince(report.since);
  const totals = new Map<string, number>();
  for (const row of report.usage) totals.set(row.model, (totals.get(row.model) ?? 0) + measure(row, metric));
  const ranked = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)!);
  const shown = ranked.length > MAX_LINES ? ranked.slice(0, MAX_LINES - 1) : ranked;
  const names = ranked.length > shown.length ? [...shown, at("usage.other")] : shown;
  const values = names.map(() => days.map(() => 0));
  for (const row of report.usage) {
    const line = shown.includes(row.model) ? shown.indexOf(row.model) : names.length - 1;
    const day = days.indexOf(row.day);
    if (day >= 0) values[line]![day]! += measure(row, metric);
  }
  const scale = metric === "cost" ? 1_000_000 : 1;
  return { days, names, values: values.map((line) => line.map((v) => v / scale)) };
}

/** Local midnight of a UTC date label, so uPlot's local-time axis shows the same date. */
function dayStart(day: string): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime() / 1000;
}

/** The colours of the current scheme, read from the stylesheet's custom properties. */
function themeColours() {
  const style = getComputedStyle(document.documentElement);
  return { text: style.getPropertyValue("--muted").trim(), grid: style.getPropertyValue("--border").trim() };
}

function UsageChart(props: { report: UsageReport; metric: Metric; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [scheme, setScheme] = useState(0);
  useEffect(() => {
    const dark = matchMedia("(prefers-color-scheme: dark)");
    const redraw = () => setScheme((n) => n + 1);
    dark.addEventListener("change", redraw);
    return () => dark.removeEventListener("change", redraw);
  }, []);
  // Rebuilt rather than updated: the colours live in the canvas, so a scheme change needs a new chart too.
  useEffect(() => {
    const element = box.current!;
    const { days, names, values } = chartSeries(props.report, props.metric);
    const colours = themeColours();
    const dateText = (seconds: number) =>
      new Date(seconds * 1000).toLocaleDateString(localeTag(), { month: "short", day: "numeric" });
    const number = (value: number | null) =>
      value === null ? "—" : value.toLocaleString(localeTag(), { maximumFractionDigits: 6 });
    const xs = days.map(dayStart);
    const width = () => Math.max(280, element.clientWidth);
    const axis = { stroke: colours.text, grid: { stroke: colours.grid, width: 1 }, ticks: { stroke: colours.grid } };
    const chart = new uPlot(
      {
        width: width(),
        height: 240,
        scales: { x: { time: true } },
        // A plain key of names and colours; the exact numbers are in the table below the chart.
        legend: { live: false },
        series: [
          { value: (_, v) => (v === null ? "—" : dateText(v)) },
          ...names.map((name, i) => ({
            label: name,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            points: { size: 5 },
            value: (_: uPlot, v: number | null) => number(v),
          })),
        ],
        axes: [
          {
            ...axis,
            // One label per day at most, fewer when the chart is narrow, so dates never repeat or overlap.
            splits: () => {
              const step = Math.ceil(xs.length / Math.max(2, Math.floor(width() / 72)));
              return xs.filter((_, i) => i % step === 0);
            },
            values: (_, splits) => splits.map(dateText),
          },
          { ...axis, size: 64, values: (_, splits) => splits.map(number) },
        ],
      },
      [xs, ...values],
      element,
    );
    const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: 240 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [props.report, props.metric, props.label, scheme]);
  return <div ref={box} class="chart" role="img" aria-label={props.label} />;
}

interface ModelTotal {
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
}

function byModel(usage: UsageDayView[]): ModelTotal[] {
  const totals = new Map<string, ModelTotal>();
  for (const row of usage) {
    const total = totals.get(row.model) ?? { model: row.model, requests: 0, inputTokens: 0, outputTokens: 0, cost: 0 };
    total.requests += row.requests;
    total.inputTokens += row.inputTokens;
    total.outputTokens += row.outputTokens;
    total.cost += micro(row.cost);
    totals.set(row.model, total);
  }
  return [...totals.values()].sort((a, b) => b.cost - a.cost || b.requests - a.requests);
}

/** The usage section: period and metric pickers, the chart, and the per-model totals. */
export function UsagePanel(props: { round: number }) {
  const [days, setDays] = useState(30);
  const [metric, setMetric] = useState<Metric>("cost");
  const report = useLoad(() => call<UsageReport>("GET", `/api/usage?days=${days}`), [days, props.round]);
  const totals = report.data ? byModel(report.data.usage) : [];
  const weight = (row: ModelTotal) =>
    metric === "cost" ? row.cost : metric === "tokens" ? row.inputTokens + row.outputTokens : row.requests;
  const grand = totals.reduce((sum, row) => sum + weight(row), 0);
  const columns: Column<ModelTotal>[] = [
    { label: at("usage.model"), cell: (row) => <span class="mono">{row.model}</span> },
    { label: at("usage.requests"), numeric: true, cell: (row) => formatCount(row.requests) },
    { label: at("usage.input"), numeric: true, cell: (row) => formatCount(row.inputTokens) },
    { label: at("usage.output"), numeric: true, cell: (row) => formatCount(row.outputTokens) },
    { label: at("usage.cost"), numeric: true, cell: (row) => credits(row.cost) },
    {
      label: at("usage.share"),
      cell: (row) => {
        const share = grand ? Math.round((weight(row) / grand) * 100) : 0;
        return (
          <span class="share">
            <span class="share-bar" aria-hidden="true">
              <span style={{ width: `${share}%` }} />
            </span>
            {share}%
          </span>
        );
      },
    },
  ];
  return (
    <Panel title={at("usage.title")} wide>
      <div class="controls">
        <SelectField
          label={at("usage.period")}
          name="days"
          value={String(days)}
          options={PERIODS.map((n): [string, string] => [String(n), at("usage.days", { days: n })])}
          onChange={(value) => setDays(Number(value))}
        />
        <SelectField
          label={at("usage.metric")}
          name="metric"
          value={metric}
          options={[
            ["cost", at("metric.cost")],
            ["tokens", at("metric.tokens")],
            ["requests", at("metric.requests")],
          ]}
          onChange={(value) => setMetric(value as Metric)}
        />
      </div>
      <ErrorText error={report.error} />
      {!report.data && !report.error && <p class="muted">{t("loading")}</p>}
      {report.data && report.data.usage.length === 0 && <p class="muted">{at("usage.none")}</p>}
      {report.data && report.data.usage.length > 0 && (
        <>
          <UsageChart
            report={report.data}
            metric={metric}
            label={at("usage.chart", { metric: at(`metric.${metric}`), days })}
          />
          <h3>{at("usage.byModel")}</h3>
          <DataTable caption={at("usage.byModel")} columns={columns} rows={totals} rowKey={(row) => row.model} />
        </>
      )}
    </Panel>
  );
}

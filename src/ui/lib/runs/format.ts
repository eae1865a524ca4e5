/** @module How the run pages read their address and put runs, events and tags into words. */
import { localeTag } from "../i18n";
import { type RunsKey, rt } from "./text";
import type { RunStatus } from "./wire";

/** The three public views of a run and their pages. */
export const VIEWS = {
  live: "/ui/stream.html",
  replay: "/ui/replay.html",
  work: "/ui/output.html",
} as const;

/** A public view of a run. */
export type View = keyof typeof VIEWS;

/** The link to one view of a run, with extra query values (`seq`, `version`). */
export function viewPath(view: View, runId: string, extra: Record<string, number> = {}): string {
  const query = new URLSearchParams({ run_id: runId });
  for (const [name, value] of Object.entries(extra)) query.set(name, String(value));
  return `${VIEWS[view]}?${query}`;
}

/** A query value of the page's address (`?run_id=`, `?q=`, `?seq=`); null when absent or blank. */
export function queryValue(name: string): string | null {
  const value = new URLSearchParams(location.search).get(name)?.trim();
  return value ? value : null;
}

/** A positive integer query value, or null. */
export function queryNumber(name: string): number | null {
  const value = Number(queryValue(name));
  return Number.isSafeInteger(value) && value > 0 ? value : null;
}

/** Cuts text to `max` characters (whole code points, so CJK and emoji stay intact), marking the cut with "…". */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max).join("")}…`;
}

/** A run status in words. */
export const statusWord = (status: RunStatus): string => rt(`status.${status}`);

const KNOWN_KINDS = new Set(["message", "stage_changed", "decision", "summary", "artifact_version", "system"]);

/** An event kind in words; a kind this page does not know is shown as it is. */
export function kindWord(kind: string): string {
  return KNOWN_KINDS.has(kind) ? rt(`kind.${kind}` as RunsKey) : kind;
}

/** An event's body: its `text` when the payload follows the convention, else the payload as indented JSON. */
export function eventBody(payload: Record<string, unknown>): { text: string; json: boolean } {
  if (typeof payload.text === "string") return { text: payload.text, json: false };
  return { text: JSON.stringify(payload, null, 2), json: true };
}

/** A time with seconds, in the visitor's zone and language (events are seconds apart). */
export function formatSeconds(iso: string): string {
  return new Date(iso).toLocaleString(localeTag(), { dateStyle: "medium", timeStyle: "medium" });
}

/** Splits comma-separated tags (ASCII or Chinese commas), trimmed, without empties or repeats. */
export function splitTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,，]/)
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ];
}

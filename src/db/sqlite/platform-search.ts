/** @module Run search in SQLite: the FTS5 trigram index of migration 0004, and how a run listing queries it. */
import { and, desc, eq, gt, or, type SQL, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { SqliteDb } from "./client";

// Declared here rather than in a *schema.ts file: drizzle-kit cannot manage virtual tables or triggers, so the
// hand-written migration 0004_runs_search.sql creates both tables and keeps them in sync.
const runSearchText = sqliteTable("run_search_text", {
  doc: integer("doc").primaryKey(),
  runId: text("run_id").notNull(),
  ref: text("ref").notNull(),
  goal: text("goal").notNull(),
  constraints: text("constraints").notNull(),
  tags: text("tags").notNull(),
  output: text("output").notNull(),
});
const runsSearch = sqliteTable("runs_search", { rowid: integer("rowid").notNull() });

/** The trigram tokenizer indexes 3-character windows, so shorter terms cannot be looked up in the index. */
const TRIGRAM = 3;

/**
 * bm25 weights in the index's column order (ref, goal, constraints, tags, output): a hit in the goal counts most,
 * then the required tags, then constraints, then the run's latest work and its id.
 */
const WEIGHTS = sql.raw("1.0, 10.0, 3.0, 6.0, 2.0");

/** Quotes a term as an FTS5 phrase, which a trigram index matches as a substring anywhere in a column. */
const phrase = (term: string) => `"${term.replaceAll('"', '""')}"`;

/** Escapes LIKE wildcards so a term matches literally. */
const likePattern = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A term of one or two characters (`灯塔`) matches as a case-insensitive substring of any searched column. */
function shortTermMatches(term: string): SQL {
  const pattern = likePattern(term);
  const columns = [
    runSearchText.ref,
    runSearchText.goal,
    runSearchText.constraints,
    runSearchText.tags,
    runSearchText.output,
  ];
  return or(...columns.map((column) => sql`${column} like ${pattern} escape '\\'`))!;
}

/**
 * A search ranks at most this many matching runs, the newest (or, with only 1–2 character terms, looks through this
 * many newest runs): its cost stays bounded however large the hub grows.
 */
export const SEARCH_CANDIDATES = 10_000;

/**
 * The runs matching every term, as a subquery of `run_id` and `rank` (bm25, lower is better; 0 without indexed
 * terms). Terms of 3+ characters go to the FTS5 index as ANDed phrases; shorter ones filter those candidates (or,
 * alone, the newest runs) with an escaped LIKE over the same text.
 */
export function searchCandidates(db: SqliteDb, terms: string[]) {
  const indexed = terms.filter((term) => [...term].length >= TRIGRAM);
  const likes = terms.filter((term) => [...term].length < TRIGRAM).map(shortTermMatches);
  // Aliases are unique across the query: drizzle refers to a subquery's computed fields by alias alone.
  if (indexed.length) {
    // Document ids grow with creation, so the index hands over the newest matches first and stops at the cap.
    const matches = db
      .select({
        doc: sql<number>`${runsSearch.rowid}`.as("match_doc"),
        rank: sql<number>`bm25(${runsSearch}, ${WEIGHTS})`.as("match_rank"),
      })
      .from(runsSearch)
      .where(sql`${runsSearch} match ${indexed.map(phrase).join(" AND ")}`)
      .orderBy(desc(runsSearch.rowid))
      .limit(SEARCH_CANDIDATES)
      .as("matches");
    return db
      .select({ runId: runSearchText.runId, rank: matches.rank })
      .from(matches)
      .innerJoin(runSearchText, eq(runSearchText.doc, matches.doc))
      .where(and(...likes))
      .as("candidates");
  }
  const newest = sql`(select coalesce(max(${runSearchText.doc}), 0) from ${runSearchText})`;
  return db
    .select({ runId: runSearchText.runId, rank: sql<number>`0`.as("match_rank") })
    .from(runSearchText)
    .where(and(gt(runSearchText.doc, sql`${newest} - ${SEARCH_CANDIDATES}`), ...likes))
    .as("candidates");
}

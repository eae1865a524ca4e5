/**
 * @module Benchmark for issue 5: what billing adds to a call's database writes. Replays, on the real SQLite stores,
 * the writes the gateway makes per non-streamed call at 50 connections, with credits on and off, and times them in
 * process CPU, which a shared 2-core machine disturbs far less than requests/s.
 */
import { openStores } from "../../src/db/open";
import type { CallRecord, HoldSettlement, Stores } from "../../src/db/stores";
import { monotonicUlids } from "../../src/shared/ids";
import { makeTempDir, removeTempDir } from "./server-process";
import { fixed, median } from "./stats";

/** The section's name, as the runner lists it. */
export const name = "Billing writes: what credits add per call (issue 5)";

/** Calls per replay, and replays per mode (the median is reported). */
const CALLS = 42_000;
const REPEATS = 5;
/**
 * Batch sizes counted once, with a temporary counter, in a hub under the gateway benchmark's 50-connection load (about
 * 7000 calls/s): holds placed in one turn of the event loop share a transaction (about 30), and the 5 ms group commit
 * carries about 70 calls' settlements and records. The server checkpoints the WAL every 100 ms, about every 700 calls.
 */
const HOLD_BATCH = 30;
const COMMIT_BATCH = 70;
const CHECKPOINT_EVERY = 700;

type Mode = "on" | "off";

/** CPU microseconds per call, split by the three kinds of writes. */
interface Cost {
  holds: number;
  commits: number;
  checkpoints: number;
  total: number;
}

/** Process CPU (user + system) in microseconds spent running `work`. */
async function cpuOf(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const spent = process.cpuUsage(before);
  return spent.user + spent.system;
}

/** A call record as the engine writes it for a successful non-streamed chat. */
function callRecord(id: string, requestId: string, userId: string, keyId: string, at: number): CallRecord {
  return {
    id,
    requestId,
    traceId: null,
    userId,
    keyId,
    appId: keyId,
    surface: "openai",
    type: "chat",
    requestedModel: "openai/gpt-4o-mini",
    provider: "openai",
    model: "gpt-4o-mini",
    credentialId: "bench-credential",
    status: "success",
    stream: false,
    inputTokens: 12,
    outputTokens: 6,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    estimated: false,
    cost: 6,
    rates: JSON.stringify({ input: "0.00000015", output: "0.0000006", cachedInput: null }),
    latencyMs: 1,
    ttftMs: 1,
    errorType: null,
    errorMessage: null,
    attempts: [{ provider: "openai", credentialId: "bench-credential", status: 200, outcome: "ok", ms: 1 }],
    createdAt: at,
  };
}

/** Replays CALLS calls' writes on fresh stores: holds (credits on), group commits, checkpoints. */
async function replay(mode: Mode): Promise<Cost> {
  const dir = makeTempDir("billing");
  const stores: Stores = await openStores({ dataDir: dir, databaseUrl: undefined });
  try {
    const newId = monotonicUlids();
    const { user } = await stores.accounts.upsertUser({
      newId: newId(),
      newDid: `did:bench:${newId()}`,
      email: "billing@example.com",
      at: Date.now(),
    });
    await stores.ledger.grant({
      entryId: newId(),
      userId: user.id,
      amount: 1e15,
      note: "benchmark",
      reference: null,
      idempotencyKey: null,
      at: Date.now(),
    });
    const keyId = newId();
    const cost: Cost = { holds: 0, commits: 0, checkpoints: 0, total: 0 };
    let records: CallRecord[] = [];
    let settlements: HoldSettlement[] = [];
    for (let done = 0; done < CALLS; done += HOLD_BATCH) {
      const at = Date.now();
      const callIds = Array.from({ length: HOLD_BATCH }, () => newId());
      if (mode === "on") {
        cost.holds += await cpuOf(() =>
          Promise.all(
            callIds.map((callId) =>
              stores.ledger.placeHold({
                id: callId,
                userId: user.id,
                keyId,
                callId,
                amount: 700,
                owner: "bench",
                at,
                expiresAt: at + 3_600_000,
              }),
            ),
          ),
        );
      }
      for (const callId of callIds) {
        records.push(callRecord(callId, newId(), user.id, keyId, at));
        if (mode === "on") {
          settlements.push({
            holdId: callId,
            actual: 6,
            holdEntryId: newId(),
            captureEntryId: newId(),
            releaseEntryId: newId(),
            at,
          });
        }
        if (records.length < COMMIT_BATCH) continue;
        const batch = { records, settlements, contents: [] };
        records = [];
        settlements = [];
        cost.commits += await cpuOf(() => stores.calls.commit(batch));
      }
      if ((done + HOLD_BATCH) % CHECKPOINT_EVERY < HOLD_BATCH)
        cost.checkpoints += await cpuOf(() => stores.checkpoint());
    }
    const calls = Math.ceil(CALLS / HOLD_BATCH) * HOLD_BATCH;
    const perCall = (micros: number) => micros / calls;
    const result = {
      holds: perCall(cost.holds),
      commits: perCall(cost.commits),
      checkpoints: perCall(cost.checkpoints),
      total: 0,
    };
    result.total = result.holds + result.commits + result.checkpoints;
    return result;
  } finally {
    await stores.close();
    removeTempDir(dir);
  }
}

/** The median of each part over the replays. */
function medianCost(costs: Cost[]): Cost {
  const of = (part: keyof Cost) => median(costs.map((cost) => cost[part]));
  return { holds: of("holds"), commits: of("commits"), checkpoints: of("checkpoints"), total: of("total") };
}

/** Runs the replays, the modes alternating, and returns the markdown section. */
export async function run(): Promise<string> {
  const runs: Record<Mode, Cost[]> = { on: [], off: [] };
  // One unmeasured replay first, so the first measured one does not pay for compiling the store code.
  await replay("on");
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const mode of ["on", "off"] as const) {
      console.error(`bench: billing writes, credits ${mode}, replay ${repeat + 1}/${REPEATS}`);
      runs[mode].push(await replay(mode));
    }
  }
  const on = medianCost(runs.on);
  const off = medianCost(runs.off);
  const row = (label: string, part: keyof Cost) =>
    `| ${label} | ${fixed(on[part])} | ${fixed(off[part])} | ${fixed(on[part] - off[part])} |`;
  const spread = (mode: Mode) => runs[mode].map((cost) => fixed(cost.total)).join(", ");
  return `## ${name}

${CALLS} calls' writes replayed on the real stores (\`src/db/\`, a fresh SQLite file in WAL mode), as the gateway makes
them at 50 connections: credit holds placed ${HOLD_BATCH} to a transaction, each batch of ${COMMIT_BATCH} calls' settlements,
call records and daily usage committed together, a WAL checkpoint every ${CHECKPOINT_EVERY} calls. Credits off writes the
records and usage only. Process CPU (user + system) per call, median of ${REPEATS} replays per mode, the modes
alternating (totals per replay, on: ${spread("on")}; off: ${spread("off")}):

| µs of CPU per call | credits on | credits off | billing adds |
|---|---:|---:|---:|
${row("placing the hold (a hold row, the account)", "holds")}
${row("group commit (settlement: hold row deleted, hold, capture and release entries, account; call record; usage)", "commits")}
${row("WAL checkpoints", "checkpoints")}
${row("**total**", "total")}

A billed call writes three ledger entries (hold, capture, release) and a hold row it later deletes. Both tables are
stored WITHOUT ROWID (migration 0007), the ledger clustered by user and entry id, so each entry is one B-tree write
(a capture also writes the by-key index that budgets read) and a foreign-key check of its user. Set the added total
against the gateway's CPU per request at 50 connections in the section above: the share it takes is about the share
of requests/s that credits on gives up against credits off.
`;
}

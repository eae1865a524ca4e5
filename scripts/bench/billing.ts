/**
 * @module Benchmark for issue 5: what billing adds to a call's database writes. Replays, on the real SQLite stores,
 * the writes the gateway makes per non-streamed call at 50 connections, with credits on and off, and times them in
 * process CPU, which a shared 2-core machine disturbs far less than requests/s.
 */
import { openStores } from "../../src/db/open";
import type { CallRecord, Stores, TrancheWrite } from "../../src/db/stores";
import { createCreditTranches } from "../../src/server/services/credit-tranches";
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
 * 7000 calls/s): about 30 calls are admitted in one turn of the event loop, and the 5 ms group commit carries about 70
 * calls' captures and records. The server checkpoints the WAL every 100 ms, about every 700 calls.
 */
const HOLD_BATCH = 30;
/** A call's worst case and its actual cost, in micro-credits, as in the gateway benchmark's request. */
const WORST_CASE = 700;
const ACTUAL = 6;
const COMMIT_BATCH = 70;
const CHECKPOINT_EVERY = 700;

type Mode = "on" | "off";

/** CPU microseconds per call, split by the three kinds of work. */
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
    let writes: TrancheWrite[] = [];
    const tranches = createCreditTranches({
      stores,
      owner: "bench",
      newId,
      now: Date.now,
      holdTtlMs: 3_600_000,
      queue: (write) => writes.push(write),
    });
    for (let done = 0; done < CALLS; done += HOLD_BATCH) {
      const at = Date.now();
      const callIds = Array.from({ length: HOLD_BATCH }, () => newId());
      if (mode === "on") {
        // Admission and settlement of the turn's calls: in memory, plus the tranche's growths when it runs short.
        cost.holds += await cpuOf(async () => {
          const reserved = await Promise.all(
            callIds.map(() => tranches.reserve({ userId: user.id, keyId: null, amount: WORST_CASE, lenient: false })),
          );
          await Promise.all(
            reserved.map((result, index) => {
              if (!result.ok) throw new Error(`bench: reservation refused (${result.reason})`);
              return tranches.settle(result.reservation, ACTUAL, { callId: callIds[index]!, keyId });
            }),
          );
        });
      }
      for (const callId of callIds) {
        records.push(callRecord(callId, newId(), user.id, keyId, at));
        if (records.length < COMMIT_BATCH) continue;
        const batch = { records, tranches: writes, contents: [] };
        records = [];
        writes = [];
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

${CALLS} calls' writes replayed on the real stores (\`src/db/\`, a fresh SQLite file in WAL mode) as the gateway makes
them at 50 connections: ${HOLD_BATCH} calls admitted per turn of the event loop, each reserving its worst case
(${WORST_CASE} micro-credits) from the process's credit tranche (\`src/server/services/credit-tranches.ts\`, the gateway's
own code) and settling at ${ACTUAL}; each batch of ${COMMIT_BATCH} calls' captures, call records and daily usage committed
together; a WAL checkpoint every ${CHECKPOINT_EVERY} calls. Credits off writes the records and usage only. Process CPU
(user + system) per call, median of ${REPEATS} replays per mode, the modes alternating (totals per replay, on:
${spread("on")}; off: ${spread("off")}):

| µs of CPU per call | credits on | credits off | billing adds |
|---|---:|---:|---:|
${row("reserving and settling (in memory; the tranche's growths)", "holds")}
${row("group commit (capture entry, tranche row, account; call record; usage)", "commits")}
${row("WAL checkpoints", "checkpoints")}
${row("**total**", "total")}

A billed call writes one ledger entry, its capture, in the group commit that writes its call record; the tranche's
row and the account are written once per batch, and the tranche grows (an awaited write with its hold entry) only
when what it holds beyond its calls' reservations runs short, doubling while calls keep coming. Set the added total
against the gateway's CPU per request at 50 connections in the section above: the share it takes is about the share
of requests/s that credits on gives up against credits off.
`;
}

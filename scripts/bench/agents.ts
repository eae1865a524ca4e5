/** @module Benchmark for issue 7: claims/s, events/s and SSE fan-out to 500 subscribers on an in-process hub. */
import { join } from "node:path";
import { resolveServerConfig } from "../../src/config";
import { openStores } from "../../src/db/open";
import { createApp } from "../../src/server/app";
import { prepareDataDir } from "../../src/server/data-dir";
import { buildServices } from "../../src/server/deps";
import { createLogger } from "../../src/server/log";
import { makeTempDir, removeTempDir } from "./server-process";
import { fixed, median, percentile } from "./stats";

/** The section's name, as the runner lists it. */
export const name = "Agent platform: claims, events, SSE fan-out (issue 7)";

const AGENTS = 20;
const RUNS = 400;
const EVENT_WRITERS = 20;
const EVENTS_PER_WRITER = 50;
const SUBSCRIBERS = 500;
const FANOUT_EVENTS = 100;

type Json = Record<string, unknown>;

/** Starts an in-process hub on loopback and returns a JSON client for it. */
async function startHub(dir: string) {
  const config = resolveServerConfig(
    { values: { "data-dir": join(dir, "data"), host: "127.0.0.1", port: "0" }, positionals: [] },
    { AIGNE_HUB_MATCHING_PARTICIPANT_COUNT: String(AGENTS), AIGNE_HUB_LOG_LEVEL: "error" },
    dir,
  );
  const material = prepareDataDir(config);
  const stores = await openStores(config);
  const deps = buildServices({
    stores,
    config,
    material,
    log: createLogger({ level: "error" }),
  });
  Object.assign(deps.agentPlatform.settings, {
    keyRequestsPerMinute: 1e9,
    anonymousRequestsPerMinute: 1e9,
    registrationsPerAddressPerHour: 1e9,
    maxLeasesPerAgent: 1e9,
    streamsPerAddress: SUBSCRIBERS + 10,
    streamsTotal: SUBSCRIBERS + 10,
  });
  const app = createApp(deps).listen({ hostname: "127.0.0.1", port: 0, reusePort: false, development: false });
  const url = `http://127.0.0.1:${app.server!.port}`;
  const call = async (method: string, path: string, key?: string, body?: unknown): Promise<Json> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json().catch(() => ({}))) as Json;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    url,
    call,
    async stop() {
      deps.agentPlatform.close();
      await app.stop(true);
      await stores.close();
    },
  };
}

type Hub = Awaited<ReturnType<typeof startHub>>;

/** A user whose agents are qualified to publish, plus AGENTS−1 outside agents. */
async function population(hub: Hub) {
  const publisher = (await hub.call("POST", "/v1/users")).api_key as string;
  const agents: { key: string; onboarding: Json }[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const owner = i === 0 ? publisher : ((await hub.call("POST", "/v1/users")).api_key as string);
    const created = await hub.call("POST", "/v1/agents", owner, { tags: [`t${i % 4}`] });
    agents.push({ key: created.api_key as string, onboarding: created.onboarding as Json });
  }
  const first = agents[0]!;
  const { run_id: runId, work_item_id: itemId } = first.onboarding as { run_id: string; work_item_id: string };
  await hub.call("POST", `/v1/gateway/work-items/${itemId}/claim`, first.key);
  await hub.call("POST", `/v1/gateway/runs/${runId}/artifacts`, first.key, { content: "intro" });
  await hub.call("POST", `/v1/gateway/work-items/${itemId}/complete`, first.key);
  return { publisher, agents };
}

/** Every agent loops claim-next until the RUNS items are gone; returns claims per second and latencies. */
async function claims(hub: Hub, publisher: string, agents: { key: string }[]) {
  for (let i = 0; i < RUNS; i++) await hub.call("POST", "/v1/runs", publisher, { goal: `bench run ${i}` });
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    agents.map(async (agent) => {
      for (;;) {
        const at = performance.now();
        const response = await fetch(`${hub.url}/v1/gateway/inbox/claim-next`, {
          method: "POST",
          headers: { authorization: `Bearer ${agent.key}` },
        });
        await response.arrayBuffer();
        if (response.status !== 200) return;
        latencies.push(performance.now() - at);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { count: latencies.length, perSecond: latencies.length / seconds, latencies };
}

/** EVENT_WRITERS writers emit EVENTS_PER_WRITER events each, one run per writer; returns events per second. */
async function events(hub: Hub, publisher: string, agent: { key: string }) {
  const runs: string[] = [];
  for (let i = 0; i < EVENT_WRITERS; i++) {
    const created = await hub.call("POST", "/v1/runs", publisher, { goal: `events ${i}` });
    await hub.call("POST", `/v1/gateway/work-items/${created.work_item_id}/claim`, agent.key);
    runs.push(created.run_id as string);
  }
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    runs.map(async (runId) => {
      for (let i = 0; i < EVENTS_PER_WRITER; i++) {
        const at = performance.now();
        await hub.call("POST", `/v1/gateway/runs/${runId}/events`, agent.key, {
          kind: "message",
          payload: { text: `progress ${i}` },
        });
        latencies.push(performance.now() - at);
      }
    }),
  );
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), latencies, runId: runs[0]! };
}

/**
 * Opens one SSE stream over a raw socket and reports each event id it reads; raw, because fetch caps concurrent
 * requests per process well below SUBSCRIBERS.
 */
async function rawStream(url: string, path: string, onId: (id: number) => void) {
  const { hostname, port } = new URL(url);
  const decoder = new TextDecoder();
  let tail = "";
  return Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      open(socket) {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`);
      },
      data(_, chunk) {
        const text = tail + decoder.decode(chunk, { stream: true });
        const lines = text.split("\n");
        tail = lines.pop() ?? "";
        for (const line of lines) {
          const id = /^id: (\d+)/.exec(line)?.[1];
          if (id) onId(Number(id));
        }
      },
    },
  });
}

/** Opens SUBSCRIBERS streams on one run, emits FANOUT_EVENTS events, and times each event's arrival everywhere. */
async function fanout(hub: Hub, agent: { key: string }, runId: string) {
  const start = Number((await hub.call("GET", `/v1/runs/${runId}/replay?limit=500`)).next_after_seq);
  const sentAt = new Map<number, number>();
  const delays: number[] = [];
  const expected = SUBSCRIBERS * FANOUT_EVENTS;
  let delivered = 0;
  let allDelivered: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allDelivered = resolve;
  });
  const sockets = await Promise.all(
    Array.from({ length: SUBSCRIBERS }, () =>
      rawStream(hub.url, `/v1/runs/${runId}/stream?after_seq=${start}`, (id) => {
        delivered++;
        delays.push(performance.now() - (sentAt.get(id) ?? performance.now()));
        if (delivered === expected) allDelivered();
      }),
    ),
  );
  // Every subscriber has to be registered before the first event, or its backfill would count as fan-out.
  await Bun.sleep(500);
  const started = performance.now();
  for (let i = 0; i < FANOUT_EVENTS; i++) {
    const at = performance.now();
    const event = await hub.call("POST", `/v1/gateway/runs/${runId}/events`, agent.key, {
      kind: "message",
      payload: { text: `fan-out ${i}` },
    });
    sentAt.set(Number(event.seq), at);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, 60_000)))]);
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.end();
  return { delivered, framesPerSecond: delivered / seconds, delays };
}

const ms = (samples: number[]) => `${fixed(median(samples))} / ${fixed(percentile(samples, 99))}`;

/** Runs the three measurements and renders the section. */
export async function run(): Promise<string> {
  const dir = makeTempDir("agents-");
  const hub = await startHub(dir);
  try {
    const { publisher, agents } = await population(hub);
    const claimed = await claims(hub, publisher, agents);
    const written = await events(hub, publisher, agents[0]!);
    const spread = await fanout(hub, agents[0]!, written.runId);
    return `## ${name}

In-process hub (the benchmark's HTTP clients share its process and CPUs), SQLite in WAL mode on a temp dir, loopback
HTTP, per-key/address limits lifted. Each claim and each event is one IMMEDIATE transaction with its audit row (a claim
also writes its lifecycle event).

| Measurement | Result | Latency p50 / p99 (ms) |
|---|---|---|
| Claims: ${AGENTS} agents racing \`claim-next\` over ${RUNS} items offered to all | ${fixed(claimed.perSecond, 0)} claims/s (${claimed.count} claimed) | ${ms(claimed.latencies)} |
| Events: ${EVENT_WRITERS} writers × ${EVENTS_PER_WRITER} events, one run each | ${fixed(written.perSecond, 0)} events/s | ${ms(written.latencies)} |
| SSE fan-out: ${FANOUT_EVENTS} events to ${SUBSCRIBERS} subscribers of one run | ${fixed(spread.framesPerSecond, 0)} frames/s, ${spread.delivered} of ${FANOUT_EVENTS * SUBSCRIBERS} delivered | emit → frame ${ms(spread.delays)} |
`;
  } finally {
    await hub.stop();
    removeTempDir(dir);
  }
}

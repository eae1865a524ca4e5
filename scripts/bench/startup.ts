/** @module Benchmark for issue 3: cold start to the first 200, idle RSS and binary size, against a Bun hello-world. */
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, makeTempDir, readRss, removeTempDir, startServer, stopServer } from "./server-process";
import { fixed, median, percentile } from "./stats";

/** The section's name, as the runner lists it. */
export const name = "Startup, memory and size (issue 3)";

const ROOT = join(import.meta.dir, "..", "..");
const BINARY = join(ROOT, "dist", "aigne-hub");
/** Rounds of the start-up measurement: one fresh start and WARM_PER_ROUND restarts of the hub, one baseline start. */
const ROUNDS = 15;
const WARM_PER_ROUND = 2;
const RSS_RUNS = 5;
const RSS_REQUESTS = 30;
const SETTLE_MS = 2_000;
const TARGET_START_MS = 150;
const TARGET_RSS_MB = 60;

const MB = 1_000_000;
const toMB = (mib: number) => (mib * 1024 * 1024) / MB;

const HELLO = `const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
console.log(\`listening on http://127.0.0.1:\${server.port}\`);
`;

/** Compiles the baseline: a Bun.serve hello-world, with the plain `--compile --minify` flags (nothing to tune there). */
function buildBaseline(dir: string): string {
  writeFileSync(join(dir, "hello.ts"), HELLO);
  const outfile = join(dir, "hello");
  const build = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "--compile",
      "--minify",
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      "hello.ts",
      "--outfile",
      outfile,
    ],
    { cwd: dir, stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) throw new Error(`baseline build failed: ${build.stderr.toString()}`);
  return outfile;
}

interface Target {
  argv: (dataDir: string) => string[];
  probePath: string;
  /** Requests made before the idle RSS is read. */
  requests: string[];
}

/** Starts once, returns the time to the first 200 and the exit code of the SIGTERM shutdown. */
async function timeStart(target: Target, dataDir: string, cwd: string, env: Record<string, string>) {
  const server = await startServer(target.argv(dataDir), { cwd, env, probePath: target.probePath });
  const stopping = performance.now();
  const code = await stopServer(server.proc);
  return { readyMs: server.readyMs, stopMs: performance.now() - stopping, code };
}

/** Starts, answers a few requests, settles, and reads VmRSS. */
async function idleRss(target: Target, dataDir: string, cwd: string, env: Record<string, string>) {
  const server = await startServer(target.argv(dataDir), { cwd, env, probePath: target.probePath });
  try {
    for (let i = 0; i < RSS_REQUESTS; i++) {
      const path = target.requests[i % target.requests.length]!;
      await fetch(`http://127.0.0.1:${server.port}${path}`).then((r) => r.arrayBuffer());
    }
    await Bun.sleep(SETTLE_MS);
    return readRss(server.proc.pid);
  } finally {
    await stopServer(server.proc);
  }
}

const stat = (samples: number[]) => `${fixed(median(samples))} / ${fixed(percentile(samples, 90))}`;
const verdict = (met: boolean) => (met ? "**met**" : "**not met**");

/** Runs the measurements and renders the section. */
export async function run(): Promise<string> {
  const work = makeTempDir("startup");
  const env = cleanEnv(work);
  const baselineBinary = buildBaseline(work);

  const hub: Target = {
    argv: (dataDir) => [BINARY, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir],
    probePath: "/healthz",
    requests: ["/healthz", "/readyz", "/api/user/info", "/healthz", "/no-such-page"],
  };
  const baseline: Target = { argv: () => [baselineBinary], probePath: "/healthz", requests: ["/", "/healthz"] };

  // One discarded start of each, so both binaries are in the page cache before anything is timed.
  const warmupDir = makeTempDir("warmup");
  await timeStart(hub, warmupDir, work, env);
  await timeStart(baseline, warmupDir, work, env);
  removeTempDir(warmupDir);

  const fresh: number[] = [];
  const warm: number[] = [];
  const base: number[] = [];
  const stops: number[] = [];
  const badExits: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    base.push((await timeStart(baseline, work, work, env)).readyMs);
    const dataDir = makeTempDir("data");
    for (let i = 0; i <= WARM_PER_ROUND; i++) {
      const result = await timeStart(hub, dataDir, work, env);
      (i === 0 ? fresh : warm).push(result.readyMs);
      stops.push(result.stopMs);
      if (result.code !== 0) badExits.push(`round ${round + 1}, start ${i + 1}: exit ${result.code}`);
    }
    removeTempDir(dataDir);
  }

  const rssDir = makeTempDir("rss");
  const hubRss = [];
  const baseRss = [];
  for (let i = 0; i < RSS_RUNS; i++) {
    hubRss.push(await idleRss(hub, rssDir, work, env));
    baseRss.push(await idleRss(baseline, rssDir, work, env));
  }
  removeTempDir(rssDir);

  const sizeMB = statSync(BINARY).size / MB;
  const baseSizeMB = statSync(baselineBinary).size / MB;
  removeTempDir(work);

  const hubRssMB = median(hubRss.map((r) => toMB(r.rss)));
  const hubAnonMB = median(hubRss.map((r) => toMB(r.anon)));
  const hubFileMB = median(hubRss.map((r) => toMB(r.file)));
  const baseRssMB = median(baseRss.map((r) => toMB(r.rss)));
  const baseAnonMB = median(baseRss.map((r) => toMB(r.anon)));
  const baseFileMB = median(baseRss.map((r) => toMB(r.file)));
  const ratio = (a: number, b: number) => `${fixed(a / b, 2)}×`;
  const samples = (values: number[]) =>
    [...values]
      .sort((a, b) => a - b)
      .map((v) => fixed(v, 0))
      .join(", ");

  return `## ${name}

What is measured: \`dist/aigne-hub serve --port 0 --host 127.0.0.1 --data-dir <temp>\`, started from an empty
working directory with no \`AIGNE_HUB_*\` variables set, timed from just before spawn until \`GET /healthz\` first
answers 200 (the runner reads the port from the listening line, then polls). ${ROUNDS} rounds; each round starts
the hub once on a new, empty data dir (**fresh**: creates the dir, the key files and the SQLite database, runs
the migrations) and then ${WARM_PER_ROUND} more times on that same data dir (**restart**), each stopped with
SIGTERM before the next. The hub is \`npm run build\`'s binary (\`--splitting\`, \`--bytecode\`, a start-up JIT
policy and a recorded bytecode order: README, Build). The baseline is a hello-world \`Bun.serve\` compiled with the
same Bun and plain \`--compile --minify\`, started once per round. One discarded start of each binary comes first, so both are
in the page cache: these are cold *process* starts, not cold-disk starts.

Idle RSS: ${RSS_RUNS} runs on an existing data dir; each answers ${RSS_REQUESTS} sequential requests
(${hub.requests.map((p) => `\`${p}\``).join(", ")}; the baseline: \`/\`), waits ${SETTLE_MS / 1000} s and reads
\`VmRSS\` from \`/proc/<pid>/status\`. MB = 10⁶ bytes.

| | aigne-hub | baseline (Bun.serve hello) | ratio |
|---|---:|---:|---:|
| start to first 200, fresh data dir, ms (median / p90, n=${fresh.length}) | ${stat(fresh)} | — | ${ratio(median(fresh), median(base))} |
| start to first 200, restart, ms (median / p90, n=${warm.length}) | ${stat(warm)} | ${stat(base)} (n=${base.length}) | ${ratio(median(warm), median(base))} |
| idle RSS, MB (median of ${RSS_RUNS}) | ${fixed(hubRssMB)} | ${fixed(baseRssMB)} | ${ratio(hubRssMB, baseRssMB)} |
| … of it anonymous (heap, stacks) | ${fixed(hubAnonMB)} | ${fixed(baseAnonMB)} | ${ratio(hubAnonMB, baseAnonMB)} |
| … of it file-backed (the mapped executable) | ${fixed(hubFileMB)} | ${fixed(baseFileMB)} | ${ratio(hubFileMB, baseFileMB)} |
| binary size, MB | ${fixed(sizeMB)} | ${fixed(baseSizeMB)} | ${ratio(sizeMB, baseSizeMB)} |
| SIGTERM to exit, ms (median / p90) | ${stat(stops)} | — | — |

| target (issue 3) | measured (median) | |
|---|---:|---|
| cold start < ${TARGET_START_MS} ms, restart on an existing data dir | ${fixed(median(warm))} ms (p90 ${fixed(percentile(warm, 90))}) | ${verdict(percentile(warm, 90) < TARGET_START_MS)} |
| cold start < ${TARGET_START_MS} ms, first start on a fresh data dir | ${fixed(median(fresh))} ms (p90 ${fixed(percentile(fresh, 90))}) | ${verdict(percentile(fresh, 90) < TARGET_START_MS)} |
| idle RSS < ${TARGET_RSS_MB} MB | ${fixed(hubRssMB)} MB | ${verdict(hubRssMB < TARGET_RSS_MB)} |

A start-up target counts as met when the p90, not only the median, is under it.${
    badExits.length ? `\n\nShutdowns that did not exit 0: ${badExits.join("; ")}.` : ""
  }

Samples, ms, sorted: fresh ${samples(fresh)} · restart ${samples(warm)} · baseline ${samples(base)}.
`;
}

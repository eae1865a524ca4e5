/**
 * @module `npm run bench`: builds the binary if stale, runs each benchmark module, writes docs/benchmarks.md.
 * `npm run bench -- --only gateway` (names: the keys of `benchmarks`, comma-separated) reruns only those and keeps
 * the other sections of docs/benchmarks.md as they were.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { join } from "node:path";
import * as agents from "./bench/agents";
import * as billing from "./bench/billing";
import * as gateway from "./bench/gateway";
import * as startup from "./bench/startup";

/** A benchmark: a name, and a run that measures and returns one markdown section. */
interface Benchmark {
  name: string;
  run(): Promise<string>;
}

/** Every benchmark, by the short name `--only` takes, in the order the page lists them. */
const benchmarks: Record<string, Benchmark> = { startup, gateway, billing, agents };

const ROOT = join(import.meta.dir, "..");
const BINARY = join(ROOT, "dist", "aigne-hub");
const OUTPUT = join(ROOT, "docs", "benchmarks.md");

/** Newest modification time of the files the binary is built from. */
function newestSourceMtime(): number {
  let newest = 0;
  for (const pattern of ["src/**/*", "drizzle/**/*", "package.json", "scripts/build.ts"]) {
    for (const file of new Bun.Glob(pattern).scanSync({ cwd: ROOT, onlyFiles: true })) {
      newest = Math.max(newest, statSync(join(ROOT, file)).mtimeMs);
    }
  }
  return newest;
}

/** Builds dist/aigne-hub with scripts/build.ts when it is missing or older than its sources. */
function ensureBinary(): void {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSourceMtime()) return;
  console.error("bench: dist/aigne-hub is missing or stale; building it");
  const build = Bun.spawnSync([process.execPath, "scripts/build.ts"], {
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  });
  if (build.exitCode !== 0) throw new Error(`scripts/build.ts failed with exit code ${build.exitCode}`);
}

function git(...args: string[]): string {
  const result = Bun.spawnSync(["git", ...args], { cwd: ROOT, stdout: "pipe", stderr: "ignore" });
  return result.exitCode === 0 ? result.stdout.toString().trim() : "";
}

/** The header: when, on what machine, with which Bun, at which commit. */
function header(partial: string[] = []): string {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
  const commit = git("rev-parse", "--short", "HEAD") || "unknown";
  const dirty = git("status", "--porcelain") ? " (with uncommitted changes in the working tree)" : "";
  return `# Benchmarks

Written by \`npm run bench\` (\`scripts/bench.ts\`); rerun it to refresh. Numbers are from one run on one machine${
    partial.length
      ? `, except that this run (\`--only ${partial.join(",")}\`) left the other sections as an earlier run wrote them`
      : ""
  }.

- Date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}
- Machine: ${availableParallelism()} CPUs (nproc), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${cpu}, ${process.platform}-${process.arch}
- Bun: ${Bun.version} (${Bun.revision.slice(0, 9)})
- Commit: ${commit}${dirty}
`;
}

/** The names `--only` selects (all when absent); unknown names are an error. */
function selected(argv: string[]): string[] {
  const at = argv.findIndex((arg) => arg === "--only" || arg.startsWith("--only="));
  if (at < 0) return Object.keys(benchmarks);
  const value = argv[at]!.includes("=") ? argv[at]!.slice("--only=".length) : argv[at + 1];
  const names = (value ?? "").split(",").filter(Boolean);
  const unknown = names.filter((n) => !(n in benchmarks));
  if (!names.length || unknown.length) {
    console.error(`bench: --only takes benchmark names (${Object.keys(benchmarks).join(", ")}), got "${value ?? ""}"`);
    process.exit(2);
  }
  return names;
}

/** The sections of the current page, by heading, so a partial run can keep the ones it does not redo. */
function existingSections(): Map<string, string> {
  const sections = new Map<string, string>();
  if (!existsSync(OUTPUT)) return sections;
  for (const part of readFileSync(OUTPUT, "utf8")
    .split(/^(?=## )/m)
    .slice(1)) {
    sections.set(part.slice(3, part.indexOf("\n")).trim(), part.trim());
  }
  return sections;
}

const started = performance.now();
const names = selected(Bun.argv.slice(2));
const kept = existingSections();
ensureBinary();
const sections: string[] = [];
for (const [key, benchmark] of Object.entries(benchmarks)) {
  if (!names.includes(key)) {
    const previous = kept.get(benchmark.name);
    if (previous) sections.push(previous);
    continue;
  }
  console.error(`bench: ${benchmark.name}…`);
  sections.push((await benchmark.run()).trim());
}
const partial = names.length < Object.keys(benchmarks).length ? names : [];
writeFileSync(OUTPUT, `${header(partial)}\n${sections.join("\n\n")}\n`);
console.error(`bench: wrote ${OUTPUT} in ${((performance.now() - started) / 1000).toFixed(1)} s`);

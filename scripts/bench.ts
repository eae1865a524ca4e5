/** @module `npm run bench`: builds the binary if stale, runs each benchmark module, writes docs/benchmarks.md. */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { join } from "node:path";
import * as startup from "./bench/startup";

/** A benchmark: a name, and a run that measures and returns one markdown section. */
interface Benchmark {
  name: string;
  run(): Promise<string>;
}

const benchmarks: Benchmark[] = [startup];

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
function header(): string {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
  const commit = git("rev-parse", "--short", "HEAD") || "unknown";
  const dirty = git("status", "--porcelain") ? " (with uncommitted changes in the working tree)" : "";
  return `# Benchmarks

Written by \`npm run bench\` (\`scripts/bench.ts\`); rerun it to refresh. Numbers are from one run on one machine.

- Date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}
- Machine: ${availableParallelism()} CPUs (nproc), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${cpu}, ${process.platform}-${process.arch}
- Bun: ${Bun.version} (${Bun.revision.slice(0, 9)})
- Commit: ${commit}${dirty}
`;
}

const started = performance.now();
ensureBinary();
const sections: string[] = [];
for (const benchmark of benchmarks) {
  console.error(`bench: ${benchmark.name}…`);
  sections.push((await benchmark.run()).trim());
}
writeFileSync(OUTPUT, `${header()}\n${sections.join("\n\n")}\n`);
console.error(`bench: wrote ${OUTPUT} in ${((performance.now() - started) / 1000).toFixed(1)} s`);

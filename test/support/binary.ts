/** @module The compiled binary for tests: built once per run, run as a child process from an empty directory. */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
/** Where `npm run build` writes the binary. */
export const BINARY = join(ROOT, "dist", "aigne-hub");

let built: Promise<string> | undefined;

/** The newest modification time among the files the binary is built from. */
function newestSource(): number {
  let newest = 0;
  for (const pattern of ["src/**/*", "drizzle/**/*", "package.json", "scripts/build.ts"]) {
    for (const file of new Bun.Glob(pattern).scanSync(ROOT))
      newest = Math.max(newest, statSync(join(ROOT, file)).mtimeMs);
  }
  return newest;
}

/** Builds dist/aigne-hub once per test run (all binary tests share the build), unless it is newer than its sources. */
export function buildBinaryOnce(): Promise<string> {
  built ??= (async () => {
    if (existsSync(BINARY) && statSync(BINARY).mtimeMs > newestSource()) return BINARY;
    const proc = Bun.spawn([process.execPath, "scripts/build.ts"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [code, out, err] = await Promise.all([
      proc.exited,
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    if (code !== 0) throw new Error(`build failed (${code}):\n${out}\n${err}`);
    if (!statSync(BINARY).isFile()) throw new Error("build wrote no binary");
    return BINARY;
  })();
  return built;
}

/** Environment for a child: no inherited AIGNE_HUB_* / CI / NODE_ENV, its own HOME. */
export function childEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(AIGNE_HUB_|AIHUB_)/.test(key) || key === "CI" || key === "NODE_ENV") continue;
    if (/_API_KEY$/.test(key)) continue;
    env[key] = value;
  }
  mkdirSync(join(home, ".aigne"), { recursive: true });
  env.HOME = home;
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

/** The outcome of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the binary to completion with stdin closed, in `cwd`, with its own HOME. */
export async function runBinary(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; stdin?: string; timeoutMs?: number },
): Promise<RunResult> {
  const binary = await buildBinaryOnce();
  const proc = Bun.spawn([binary, ...args], {
    cwd: options.cwd,
    env: childEnv(join(options.cwd, ".home"), options.env),
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

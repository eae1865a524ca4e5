/** @module Starts a server binary as a child, times it to its first 200, reads its RSS, and always stops it. */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A started server: its process, the port it printed, and how long it took from spawn to the first 200. */
export interface StartedServer {
  proc: Bun.Subprocess;
  port: number;
  /** Milliseconds from just before spawn to the first 200 on the probe path. */
  readyMs: number;
  stderr(): string;
}

const live = new Set<Bun.Subprocess>();
const tempDirs = new Set<string>();

/** Registers a child (a load generator, a helper) so it is killed with the servers if the runner exits first. */
export function track(proc: Bun.Subprocess): void {
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
}

function killAll(): void {
  for (const proc of live) proc.kill("SIGKILL");
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
// Whatever happens to the runner, no child outlives it and no temp dir is left behind.
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Makes a temp dir that is removed when the runner exits (or earlier with `removeTempDir`). */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `aigne-hub-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** Removes a temp dir made by `makeTempDir`. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** The runner's environment without any aigne-hub settings, so only the flags given count. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(AIGNE_HUB_|AIHUB_)/.test(key) || key === "NODE_ENV") continue;
    env[key] = value;
  }
  return { ...env, HOME: home, ...extra };
}

/** Reads stdout until a line says `listening on …:<port>`, and returns the port. */
async function readListeningPort(stdout: ReadableStream<Uint8Array>, deadline: number): Promise<number> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (performance.now() < deadline) {
      const timeout = new Promise<"timeout">((resolve) =>
        setTimeout(() => resolve("timeout"), Math.max(1, deadline - performance.now())),
      );
      const chunk = await Promise.race([reader.read(), timeout]);
      if (chunk === "timeout" || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
      const match = /listening on \S+:(\d+)\s*\n/.exec(text);
      if (match) return Number(match[1]);
    }
  } finally {
    reader.releaseLock();
  }
  throw new Error(`no listening line before the deadline; stdout so far: ${JSON.stringify(text)}`);
}

/**
 * Spawns `argv`, waits for its listening line, then polls `probePath` on 127.0.0.1 until it answers 200.
 * The clock starts just before spawn and stops at the 200. Fails (and kills the child) after `timeoutMs`.
 * With `port`, the child was told its port on the command line and no listening line is awaited. With `logPath`,
 * its stderr (and, with `port`, its stdout) goes straight to that file, so a chatty child costs the runner nothing.
 */
export async function startServer(
  argv: string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    probePath: string;
    timeoutMs?: number;
    port?: number;
    logPath?: string;
  },
): Promise<StartedServer> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const logFd = options.logPath === undefined ? undefined : openSync(options.logPath, "a");
  const started = performance.now();
  const proc = Bun.spawn(argv, {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: logFd !== undefined && options.port !== undefined ? logFd : "pipe",
    stderr: logFd ?? "pipe",
  });
  if (logFd !== undefined) closeSync(logFd);
  live.add(proc);
  let errText = "";
  const drainErr = (async () => {
    if (!(proc.stderr instanceof ReadableStream)) return;
    for await (const chunk of proc.stderr) errText += new TextDecoder().decode(chunk);
  })();
  const stderr = () => (options.logPath === undefined ? errText : readFileSync(options.logPath, "utf8"));
  const deadline = started + timeoutMs;
  try {
    const stdout = proc.stdout instanceof ReadableStream ? proc.stdout : undefined;
    const port = options.port ?? (await readListeningPort(stdout!, deadline));
    const url = `http://127.0.0.1:${port}${options.probePath}`;
    while (performance.now() < deadline) {
      const status = await fetch(url).then(
        (response) => response.arrayBuffer().then(() => response.status),
        () => 0,
      );
      if (status === 200) {
        const readyMs = performance.now() - started;
        // Keep stdout flowing so a chatty child never blocks on a full pipe.
        void stdout?.pipeTo(new WritableStream()).catch(() => {});
        return { proc, port, readyMs, stderr };
      }
      if (proc.exitCode !== null) throw new Error(`exited with code ${proc.exitCode} before answering`);
      await Bun.sleep(2);
    }
    throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
  } catch (error) {
    await stopServer(proc);
    await drainErr.catch(() => {});
    throw new Error(`${argv.join(" ")}: ${(error as Error).message}\nstderr: ${stderr().trim()}`);
  }
}

/** Sends SIGTERM, waits up to `graceMs` for the exit, then SIGKILL; returns the exit code. */
export async function stopServer(proc: Bun.Subprocess, graceMs = 5_000): Promise<number | null> {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
  const code = await proc.exited;
  clearTimeout(timer);
  live.delete(proc);
  return code;
}

/** Resident memory of a process from /proc/<pid>/status, in MiB: total, anonymous and file-backed. */
export function readRss(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) / 1024;
  };
  return { rss: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile") };
}

/** @module Starts `aigne-hub serve --port 0` as a child process and hands tests its URL and logs. */
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { buildBinaryOnce, childEnv } from "./binary";

/** A running hub child process. */
export interface TestHub {
  url: string;
  port: number;
  dataDir: string;
  cwd: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the process wrote to stderr so far (the JSON logs). */
  logs(): string;
  /** Everything it wrote to stdout so far. */
  stdout(): string;
  /** Sends a signal and resolves with the exit code once the process has exited and its output is read. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

async function collect(stream: ReadableStream<Uint8Array>, sink: { text: string }, onChunk: () => void) {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    sink.text += decoder.decode(chunk, { stream: true });
    onChunk();
  }
}

/**
 * Starts the binary's `serve` in `cwd` (data dir `<cwd>/data` unless args say otherwise) and waits for its line.
 * With `defaultFlags: false` only `args` follow `serve`, so a test can leave host, port and data dir to env files.
 */
export async function startBinaryHub(options: {
  cwd: string;
  args?: string[];
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  defaultFlags?: boolean;
}): Promise<TestHub> {
  const binary = await buildBinaryOnce();
  const extra = options.args ?? [];
  const given = extra.indexOf("--data-dir");
  const dataDir = given >= 0 && extra[given + 1] ? resolve(options.cwd, extra[given + 1]!) : join(options.cwd, "data");
  const defaults = options.defaultFlags === false ? [] : ["--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir];
  const args = ["serve", ...defaults, ...extra];
  const proc = Bun.spawn([binary, ...args], {
    cwd: options.cwd,
    env: childEnv(join(options.cwd, ".home"), options.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = { text: "" };
  const err = { text: "" };
  let notify = () => {};
  const drained = Promise.all([collect(proc.stdout, out, () => notify()), collect(proc.stderr, err, () => notify())]);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`hub did not start within ${options.timeoutMs ?? 15_000} ms:\n${out.text}\n${err.text}`));
    }, options.timeoutMs ?? 15_000);
    notify = () => {
      const match = /aigne-hub listening on (\S+)/.exec(out.text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code} before listening:\n${out.text}\n${err.text}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    cwd: options.cwd,
    proc,
    logs: () => err.text,
    stdout: () => out.text,
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      const code = await proc.exited;
      await drained;
      return code;
    },
  };
}

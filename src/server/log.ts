/** @module The one logger: JSON lines on stderr, with secrets redacted before anything is written. */
import { writeSync } from "node:fs";

/** Severity levels in increasing order. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /authorization|api[-_]?key|password|passwd|secret|token|cookie|pepper|credential/i;
// Key-shaped strings: hub keys, agent keys, common provider keys, bearer tokens.
const SECRET_TEXT =
  /\b(?:ah[kua]_[A-Za-z0-9_-]{16,}|sk-[A-Za-z0-9_-]{12,}|sk-ant-[A-Za-z0-9_-]{12,}|AIza[0-9A-Za-z_-]{20,})|\bBearer\s+[^\s"',]+/g;

/** Masks secret-looking substrings of a text. */
export function redactText(text: string): string {
  return text.replace(SECRET_TEXT, (match) => (match.startsWith("Bearer") ? "Bearer [redacted]" : "[redacted]"));
}

/** Deep-copies a value with secret fields replaced and secret-looking strings masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object" || depth > 6) return value;
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return redactFields(value as Record<string, unknown>, {}, depth);
}

/** Copies an object's fields into `out`, redacted; numbers and booleans under harmless names are copied as they are. */
function redactFields(from: Record<string, unknown>, out: Record<string, unknown>, depth: number) {
  for (const key in from) {
    const item = from[key];
    out[key] = SECRET_FIELD.test(key) && item !== null && item !== undefined ? "[redacted]" : redact(item, depth + 1);
  }
  return out;
}

/**
 * Writes text to stdout (1) or stderr (2) with a plain synchronous write: lines stay whole and ordered, and Node's
 * stream machinery is not loaded at start-up just for them. What a non-blocking descriptor refuses (a full pipe) goes
 * through the process's stream, which waits for the reader.
 */
export function writeOut(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    written = writeSync(fd, bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
  }
  if (written < bytes.length) (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(written));
}

// Log lines wait for the end of the current turn of the event loop, so a busy turn costs one write, not one per line.
let pendingStderr = "";
let flushOnExit = false;

function flushStderr(): void {
  const text = pendingStderr;
  pendingStderr = "";
  if (text) writeOut(2, text);
}

/** Queues a line for stderr; it is written at the end of this turn of the event loop (or at exit). */
function writeStderr(line: string): void {
  if (!pendingStderr) setImmediate(flushStderr);
  if (!flushOnExit) {
    flushOnExit = true;
    process.once("exit", flushStderr);
  }
  pendingStderr += line;
}

/** A structured logger bound to fields such as a request id. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Creates a logger writing one JSON object per line to `write` (stderr by default). */
export function createLogger(options: {
  level?: LogLevel;
  fields?: Record<string, unknown>;
  write?: (line: string) => void;
}): Logger {
  const { level = "info", fields = {}, write = writeStderr } = options;
  const threshold = ORDER[level];
  const emit = (lvl: LogLevel, msg: string, extra?: Record<string, unknown>) => {
    if (ORDER[lvl] < threshold) return;
    const record = redactFields(fields, { time: new Date().toISOString(), level: lvl, msg: redactText(msg) }, 0);
    if (extra) redactFields(extra, record, 0);
    write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (msg, extra) => emit("debug", msg, extra),
    info: (msg, extra) => emit("info", msg, extra),
    warn: (msg, extra) => emit("warn", msg, extra),
    error: (msg, extra) => emit("error", msg, extra),
    child: (extra) => createLogger({ level, fields: { ...fields, ...extra }, write }),
  };
}

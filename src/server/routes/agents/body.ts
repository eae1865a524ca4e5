/** @module Strict JSON bodies (§4.3): every rejected body is `400 invalid json`, decided before anything is written. */
import { invalidRequest } from "../../../shared/errors";

/** The one error every rejected body gets. */
export const invalidJson = () => invalidRequest("invalid json");

/** Body limits per route (kept from the MVP). */
export const BODY_LIMITS = {
  agent: 64 * 1024,
  tag: 16 * 1024,
  run: 128 * 1024,
  event: 64 * 1024,
  artifact: 256 * 1024,
  tool: 64 * 1024,
  lease: 16 * 1024,
} as const;

/** The JSON types a field may have; null always reads as absent, as Go's decoder does. */
type FieldType = "string" | "string[]" | "int" | "object";

type FieldValue<T extends FieldType> = T extends "string"
  ? string
  : T extends "string[]"
    ? string[]
    : T extends "int"
      ? number
      : Record<string, unknown>;

/** The fields a route accepts, by name. */
export type BodyShape = Record<string, FieldType>;

/** A decoded body: every field optional. */
export type Decoded<S extends BodyShape> = { [K in keyof S]?: FieldValue<S[K]> };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function fits(type: FieldType, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "string[]":
      return Array.isArray(value) && value.every((item) => typeof item === "string");
    case "int":
      return typeof value === "number" && Number.isSafeInteger(value);
    case "object":
      return isObject(value);
  }
}

/** Reads the raw body up to `limit` bytes; a longer body is `invalid json` and its upload is cancelled. */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  if (Number(request.headers.get("content-length") ?? 0) > limit) throw invalidJson();
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    total += read.value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw invalidJson();
    }
    chunks.push(read.value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** Decodes `text` against `shape`; with `allowEmpty`, an empty body is `{}`. */
export function decodeBody<S extends BodyShape>(text: string, shape: S, allowEmpty = false): Decoded<S> {
  if (!text.trim()) {
    if (allowEmpty) return {};
    throw invalidJson();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidJson();
  }
  if (parsed === null) return {};
  if (!isObject(parsed)) throw invalidJson();
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parsed)) {
    const type = shape[name];
    if (!type) throw invalidJson();
    if (value === null) continue;
    if (!fits(type, value)) throw invalidJson();
    out[name] = value;
  }
  return out as Decoded<S>;
}

/** Reads and decodes a body in one step, returning the raw text too (for idempotency hashes). */
export async function readBody<S extends BodyShape>(
  request: Request,
  limit: number,
  shape: S,
  allowEmpty = false,
): Promise<{ body: Decoded<S>; text: string }> {
  const text = await readBodyText(request, limit);
  return { body: decodeBody(text, shape, allowEmpty), text };
}

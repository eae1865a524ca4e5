/** @module The agent runner's HTTP client: the platform's gateway routes and a streamed chat through the hub. */
import { CommandError } from "../shared/errors";
import { readSse } from "./sse";

/** Control calls get this long; a long poll adds its wait. */
const CALL_TIMEOUT_MS = 15_000;
/** A model call may take this long before its first byte. */
const CHAT_HEADERS_TIMEOUT_MS = 120_000;

/** A claimed work item as the claim response carries it. */
export interface ClaimedItem {
  work_item_id: string;
  run_id: string;
  run_ref?: string;
  stage: string;
  kind: string;
  status: string;
  goal: string;
  constraints: string;
  lease_expires_at: string;
  attempts?: number;
}

/** A failed platform call: its status and the platform's `error` string. */
export class PlatformCallError extends CommandError {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
  }
}

/** One chat message in OpenAI's shape. */
export interface ChatTurn {
  role: "system" | "user" | "assistant";
  content: string;
}

function hintFor(status: number, error: string): string | undefined {
  if (status === 401) return "Check the agent key (--api-key or AIGNE_HUB_AGENT_KEY); rotated keys stop working.";
  if (status === 403 && error === "agent disabled") return "The agent's owner disabled it; enable it with PATCH.";
  if (status === 429) return "The hub is rate limiting this agent; it retries later.";
  return undefined;
}

async function failure(response: Response, what: string): Promise<PlatformCallError> {
  const text = await response.text().catch(() => "");
  let error = text.trim().slice(0, 200) || response.statusText;
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === "string") error = body.error;
    else if (body.error && typeof body.error === "object" && "message" in body.error) {
      error = String((body.error as { message: unknown }).message);
    }
  } catch {
    // Not JSON: the text itself is the best description.
  }
  return new PlatformCallError(
    response.status,
    error,
    `${what}: ${response.status} ${error}`,
    hintFor(response.status, error),
  );
}

/** Builds a client for one hub and one agent key. */
export function createAgentClient(options: { url: string; apiKey: string }) {
  const base = options.url.replace(/\/+$/, "");

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = CALL_TIMEOUT_MS,
    stop?: AbortSignal,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: stop ? AbortSignal.any([timeout, stop]) : timeout,
      });
    } catch (error) {
      if (stop?.aborted) throw error;
      throw new CommandError(
        `${method} ${path}: ${base} did not answer (${error instanceof Error ? error.message : error})`,
        "Check --url and that the hub is running.",
      );
    }
    if (!response.ok) throw await failure(response, `${method} ${path}`);
    return (await response.json()) as T;
  }

  return {
    /** Claims the oldest claimable offer, waiting up to `waitSeconds`; null when there is none. */
    async claimNext(waitSeconds: number, stop?: AbortSignal): Promise<ClaimedItem | null> {
      try {
        return await call<ClaimedItem>(
          "POST",
          `/v1/gateway/inbox/claim-next?wait=${waitSeconds}`,
          undefined,
          CALL_TIMEOUT_MS + waitSeconds * 1000,
          stop,
        );
      } catch (error) {
        if (error instanceof PlatformCallError && error.status === 404 && error.error === "no offers") return null;
        throw error;
      }
    },
    /** Extends the lease; returns the new expiry. */
    heartbeat: (workItemId: string) =>
      call<{ lease_expires_at: string }>("POST", `/v1/gateway/work-items/${workItemId}/heartbeat`, {}),
    /** Gives the item back without counting an attempt. */
    release: (workItemId: string, reason: string) =>
      call("POST", `/v1/gateway/work-items/${workItemId}/release`, { reason }),
    /** Reports a failed attempt. */
    fail: (workItemId: string, reason: string) =>
      call<{ status: string }>("POST", `/v1/gateway/work-items/${workItemId}/fail`, { reason }),
    /** Completes the item with its artifact and a summary. */
    complete: (workItemId: string, body: { artifact_version?: number; summary?: string }) =>
      call("POST", `/v1/gateway/work-items/${workItemId}/complete`, body),
    /** Appends an event; returns its seq. */
    emit: (runId: string, kind: string, text: string) =>
      call<{ seq: number }>("POST", `/v1/gateway/runs/${runId}/events`, { kind, payload: { text } }),
    /** Submits an artifact; returns its version. */
    submit: (runId: string, body: { kind: "draft" | "final"; content: string; linked_event_seq?: number }) =>
      call<{ version: number }>("POST", `/v1/gateway/runs/${runId}/artifacts`, body),
  };
}

/** The client's type. */
export type AgentClient = ReturnType<typeof createAgentClient>;

/**
 * Streams a chat completion through the hub's OpenAI-compatible route with the owner's hub key, so the call is
 * billed to the owner; yields the answer's text pieces.
 */
export async function* streamChatCompletion(input: {
  url: string;
  hubKey: string;
  model: string;
  messages: ChatTurn[];
  signal?: AbortSignal;
}): AsyncGenerator<string> {
  const path = "/v1/chat/completions";
  const aborter = new AbortController();
  // The limit covers the wait for the first byte only; a long answer may stream for as long as it needs.
  const headersTimer = setTimeout(() => aborter.abort(new Error("no answer in time")), CHAT_HEADERS_TIMEOUT_MS);
  const signal = input.signal ? AbortSignal.any([aborter.signal, input.signal]) : aborter.signal;
  let response: Response;
  try {
    response = await fetch(`${input.url.replace(/\/+$/, "")}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${input.hubKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: input.model, messages: input.messages, stream: true }),
      signal,
    });
  } catch (error) {
    throw new CommandError(`POST ${path}: the hub did not answer (${error instanceof Error ? error.message : error})`);
  } finally {
    clearTimeout(headersTimer);
  }
  if (!response.ok || !response.body) throw await failure(response, `POST ${path}`);
  for await (const frame of readSse(response.body)) {
    if (frame.data === "[DONE]") return;
    const chunk = JSON.parse(frame.data) as {
      choices?: { delta?: { content?: string | null } }[];
      error?: { message?: string };
    };
    if (chunk.error) throw new CommandError(`the model call failed: ${chunk.error.message ?? "unknown error"}`);
    const piece = chunk.choices?.[0]?.delta?.content;
    if (piece) yield piece;
  }
}

/**
 * @module The gateway engine: resolve the model, pick credentials (weights, cooldowns, at most min(n, 3) attempts,
 * failover only before the first byte), call the provider, and settle every call exactly once, whatever ends it.
 */
import type { CallAttempt, CallRecord, KeyLimits } from "../../../db/stores";
import { AppError, invalidRequest, unavailable } from "../../../shared/errors";
import { costOf, formatRate, type PricedUsage } from "../../../shared/money";
import type { Provider, ProviderTarget, ProviderType } from "../../providers/types";
import { UpstreamFailure } from "../../providers/types";
import type { Candidate, Catalog, UsableCredential } from "../catalog";
import type { Reservation } from "../credit-tranches";
import type { Credits } from "../credits";
import {
  chatOutputContent,
  chatRequestContent,
  embeddingOutputContent,
  embeddingRequestContent,
  imageOutputContent,
  imageRequestContent,
  StreamTranscript,
} from "./call-content";
import type { CallRecorder } from "./call-recorder";
import { ChunkQueue, nextLoopTurn } from "./chunk-queue";
import type { CredentialHealth } from "./credential-health";
import { estimateRequestTokens, estimateTextTokens, holdInputTokens } from "./token-estimate";
import type {
  ChatChunk,
  ChatRequest,
  EmbeddingRequest,
  FinishReason,
  ImageRequest,
  ModelListing,
  Usage,
} from "./types";

const MAX_ATTEMPTS = 3;
/** The output a hold assumes when neither the request nor the model caps it. */
const DEFAULT_HOLD_OUTPUT_TOKENS = 4096;

/** Who calls and how to reach them; `signal` aborts when the client goes away. */
export interface CallContext {
  /** The id the call record and the response carry. */
  callId: string;
  userId: string;
  keyId: string | null;
  appId: string | null;
  requestId: string;
  surface: string;
  signal: AbortSignal;
  /** The calling key's limits, when it has a key. */
  limits?: KeyLimits;
  /** The hub's public base URL (for the top-up link of a 402). */
  baseUrl: string;
}

/** What served a call. */
export interface Served {
  /** `provider/model`. */
  id: string;
  provider: string;
  providerType: ProviderType;
  model: string;
}

/** How a call ended, after it was recorded. */
export interface Settlement {
  callId: string;
  status: CallRecord["status"];
  usage: Usage;
  finishReason: FinishReason;
  /** Micro-credits charged. */
  cost: bigint;
  estimated: boolean;
  creditsEnabled: boolean;
  /** Set when an upstream failure ended a started stream. */
  error?: AppError;
}

/** A stream whose model is resolved (bad input already refused); `start()` makes the upstream attempts. */
export interface PreparedStream {
  /** The `provider/model` the first candidate would serve (the one a client is told up front). */
  model: string;
  /** Resolves once the first upstream chunk arrived, or rejects with the mapped error (the call is then settled). */
  start(): Promise<ChatStream>;
}

/** A started stream: the first upstream chunk has arrived, so failover is over. */
export interface ChatStream {
  served: Served;
  /** The chunks, from the first; stop iterating when the client leaves. Never throws. */
  chunks: AsyncIterable<ChatChunk>;
  /** Resolves once the call is settled: after the last chunk, a mid-stream failure, or the drain after a disconnect. */
  settled: Promise<Settlement>;
}

interface Opened<T> {
  value: T;
  candidate: Candidate;
  credential: UsableCredential;
  provider: Provider;
}

const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** Maps the last upstream failure to the hub error a client sees when no attempt succeeded. */
function failureToError(failure: UpstreamFailure, provider: string): AppError {
  switch (failure.kind) {
    case "bad_request":
      return invalidRequest(`${provider} rejected the request: ${failure.message}`);
    case "not_found":
      return new AppError("not_found", 404, `${provider}: ${failure.message}`, { code: "model_not_found" });
    case "timeout":
      return new AppError("upstream_timeout", 504, `${provider} did not answer in time`);
    case "rate_limit":
    case "overloaded":
      return unavailable(
        `${provider} is overloaded or rate limited. Please try again later`,
        failure.retryAfterSeconds ?? 30,
      );
    case "auth":
      return new AppError("upstream_error", 502, `${provider} rejected the configured credentials`);
    default:
      return new AppError(
        "upstream_error",
        502,
        `${provider} service is temporarily unavailable. Please try again later`,
      );
  }
}

function asFailure(error: unknown, signal: AbortSignal): UpstreamFailure {
  if (error instanceof UpstreamFailure) return error;
  if (signal.aborted) return new UpstreamFailure("network", "the request was aborted");
  return new UpstreamFailure("network", error instanceof Error ? error.message : String(error));
}

/** Builds the engine over its parts; every surface calls these same functions. */
export function createGateway(deps: {
  catalog: Catalog;
  credits: Credits;
  health: CredentialHealth;
  recorder: CallRecorder;
  providerFor: (type: ProviderType) => Provider;
  now?: () => number;
  /** How long upstream may take to send response headers. */
  upstreamTimeoutMs?: number;
  /** How long to keep reading upstream usage after the client left. */
  drainMs?: number;
}) {
  const {
    catalog,
    credits,
    health,
    recorder,
    providerFor,
    now = Date.now,
    upstreamTimeoutMs = 300_000,
    drainMs = 10_000,
  } = deps;
  const unsettled = new Set<Promise<Settlement>>();

  /** Tries candidates and credentials in order until one opens; throws the mapped error when none does. */
  async function open<T>(
    candidates: Candidate[],
    attempts: CallAttempt[],
    signal: AbortSignal,
    run: (provider: Provider, target: ProviderTarget, candidate: Candidate) => Promise<T>,
  ): Promise<Opened<T>> {
    const fallback = candidates[0]?.model?.fallbackModel ? await catalog.fallbackFor(candidates[0]) : [];
    const credentialCount = (list: Candidate[]) => list.reduce((n, c) => n + c.credentials.length, 0);
    const budget = Math.min(MAX_ATTEMPTS, Math.max(1, credentialCount(candidates) + credentialCount(fallback)));
    // With a fallback model, the last attempt of the budget is kept for it.
    const primaryBudget = fallback.length ? budget - 1 : budget;
    let lastFailure: { failure: UpstreamFailure; provider: string } | undefined;
    const queue = [...candidates, ...fallback];
    const primary = new Set(candidates);
    while (queue.length && attempts.length < budget) {
      const candidate = queue[0]!;
      const tried = new Set(attempts.filter((a) => a.provider === candidate.provider.name).map((a) => a.credentialId!));
      const credential =
        primary.has(candidate) && attempts.length >= primaryBudget ? null : health.pick(candidate.credentials, tried);
      if (!credential) {
        queue.shift();
        continue;
      }
      if (signal.aborted) throw new AppError("upstream_error", 499, "client closed the request");
      const provider = providerFor(candidate.provider.type);
      const started = now();
      try {
        const value = await run(
          provider,
          {
            baseUrl: candidate.provider.baseUrl,
            apiKey: credential.apiKey,
            model: candidate.upstreamModel,
            timeoutMs: upstreamTimeoutMs,
          },
          candidate,
        );
        attempts.push({
          provider: candidate.provider.name,
          credentialId: credential.id,
          status: 200,
          outcome: "ok",
          ms: now() - started,
        });
        health.report(credential, { ok: true });
        return { value, candidate, credential, provider };
      } catch (error) {
        const failure = asFailure(error, signal);
        attempts.push({
          provider: candidate.provider.name,
          credentialId: credential.id,
          status: failure.status ?? null,
          outcome: failure.kind,
          ms: now() - started,
        });
        if (signal.aborted) throw new AppError("upstream_error", 499, "client closed the request");
        health.report(credential, { ok: false, failure });
        lastFailure = { failure, provider: candidate.provider.name };
        // A bad request fails the same way everywhere; a missing model may exist at the next candidate.
        if (failure.kind === "bad_request") break;
        if (failure.kind === "not_found") queue.shift();
      }
    }
    if (lastFailure) throw failureToError(lastFailure.failure, lastFailure.provider);
    const recovery = candidates
      .map((c) => health.earliestRecovery(c.credentials))
      .filter((t): t is number => t !== null)
      .sort((a, b) => a - b)[0];
    throw unavailable(
      `No usable credential for this model right now${recovery ? "; all are cooling down" : ""}`,
      recovery ? Math.max(1, Math.ceil((recovery - now()) / 1000)) : undefined,
    );
  }

  function servedBy(candidate: Candidate): Served {
    return {
      id: candidate.id,
      provider: candidate.provider.name,
      providerType: candidate.provider.type,
      model: candidate.upstreamModel,
    };
  }

  /** The request as sent upstream: the model's output cap applies when the client set none, bounding the cost. */
  function upstreamRequest(request: ChatRequest, candidate: Candidate): ChatRequest {
    const cap = candidate.model?.maxOutputTokens ?? undefined;
    return { ...request, model: candidate.upstreamModel, maxTokens: request.maxTokens ?? cap };
  }

  /** What every settlement of one call shares. */
  interface CallBase {
    ctx: CallContext;
    type: CallRecord["type"];
    requestedModel: string;
    stream: boolean;
    started: number;
    attempts: CallAttempt[];
    hold: Reservation | null;
    /** The request as stored with the record; null unless the operator stores call contents. */
    requestContent: string | null;
  }

  /** Settles a call once: captures the cost of its usage (releasing the rest of the hold) and records it. */
  async function settle(
    input: CallBase & {
      firstByteAt: number | null;
      opened: Opened<unknown> | null;
      status: CallRecord["status"];
      usage: Usage;
      estimated: boolean;
      finishReason: FinishReason;
      error?: AppError;
      /** The output as stored, when contents are stored and there was one. */
      responseContent?: string;
    },
  ): Promise<Settlement> {
    const view = await catalog.view();
    const rates = input.opened?.candidate.model ?? null;
    // A failed call is free unless its stream had started: then what was delivered is billed, as for a disconnect.
    const billable = input.status !== "failed" || (input.stream && input.firstByteAt !== null);
    const due = rates && billable ? costOf(input.usage, rates) : 0n;
    const cost = await credits.settle(input.hold, due, {
      callId: input.ctx.callId,
      keyId: input.ctx.keyId,
      tokens: input.usage.inputTokens + input.usage.outputTokens + input.usage.cacheReadTokens,
    });
    const content =
      input.requestContent === null
        ? undefined
        : {
            callId: input.ctx.callId,
            request: input.requestContent,
            response: input.responseContent ?? null,
            createdAt: input.started,
          };
    const call: CallRecord = {
      id: input.ctx.callId,
      requestId: input.ctx.requestId,
      traceId: null,
      userId: input.ctx.userId,
      keyId: input.ctx.keyId,
      appId: input.ctx.appId ?? input.ctx.keyId,
      surface: input.ctx.surface,
      type: input.type,
      requestedModel: input.requestedModel,
      provider: input.opened?.candidate.provider.name ?? null,
      model: input.opened?.candidate.upstreamModel ?? null,
      credentialId: input.opened?.credential.id ?? null,
      status: input.status,
      stream: input.stream,
      inputTokens: input.usage.inputTokens,
      outputTokens: input.usage.outputTokens,
      cacheReadTokens: input.usage.cacheReadTokens,
      cacheWriteTokens: input.usage.cacheWriteTokens,
      estimated: input.estimated,
      cost: Number(cost),
      rates: rates
        ? JSON.stringify({ input: rates.inputRate, output: rates.outputRate, cachedInput: rates.cachedInputRate })
        : null,
      latencyMs: now() - input.started,
      ttftMs: input.firstByteAt === null ? null : input.firstByteAt - input.started,
      errorType: input.error?.type ?? null,
      errorMessage: input.error?.message.slice(0, 500) ?? null,
      attempts: input.attempts,
      createdAt: input.started,
    };
    recorder.record(call, content);
    return {
      callId: input.ctx.callId,
      status: input.status,
      usage: input.usage,
      finishReason: input.finishReason,
      cost,
      estimated: input.estimated,
      creditsEnabled: view.creditsEnabled,
      error: input.error,
    };
  }

  /** Records a call that got no provider response (refused, all attempts failed, or the client left) and rethrows. */
  async function settleFailure(base: CallBase, error: unknown): Promise<never> {
    const appError = error instanceof AppError ? error : new AppError("upstream_error", 502, "upstream call failed");
    await settle({
      ...base,
      opened: null,
      firstByteAt: null,
      status: appError.status === 499 ? "cancelled" : "failed",
      usage: ZERO_USAGE,
      estimated: false,
      finishReason: "stop",
      error: appError,
    });
    throw appError;
  }

  /**
   * Admits a call: the key's rate limits, model resolution (bad input writes nothing), then the credit hold for the
   * worst case over the candidates. A refused hold is recorded and thrown before any upstream call.
   */
  async function admit(
    type: CallRecord["type"],
    model: string,
    stream: boolean,
    ctx: CallContext,
    worstCase: (candidate: Candidate) => PricedUsage,
    requestContent: () => string,
  ): Promise<{ candidates: Candidate[]; base: CallBase }> {
    credits.admit(ctx.keyId, ctx.limits);
    const started = now();
    const candidates = await catalog.resolve(model, type);
    const base: CallBase = {
      ctx,
      type,
      requestedModel: model,
      stream,
      started,
      attempts: [],
      hold: null,
      // With contents off this check is all a call pays: nothing is serialised or assembled.
      requestContent: (await catalog.view()).storeContent ? requestContent() : null,
    };
    const amount = candidates.reduce((max, c) => {
      const cost = c.model ? costOf(worstCase(c), c.model) : 0n;
      return cost > max ? cost : max;
    }, 0n);
    try {
      base.hold = await credits.reserve({
        userId: ctx.userId,
        keyId: ctx.keyId,
        amount,
        limits: ctx.limits,
        // Derived from the request only when a 402 needs its top-up link.
        get baseUrl() {
          return ctx.baseUrl;
        },
      });
    } catch (error) {
      return settleFailure(base, error);
    }
    return { candidates, base };
  }

  /** Runs a call whose whole answer arrives at once: admit, attempt with failover, settle. */
  async function whole<T>(
    admitted: { candidates: Candidate[]; base: CallBase },
    run: (provider: Provider, target: ProviderTarget, candidate: Candidate) => Promise<T>,
    usageOf: (value: T) => { usage: Usage; estimated: boolean; finishReason: FinishReason },
    outputContent: (value: T) => string,
  ): Promise<{ result: T; served: Served; settlement: Settlement }> {
    const { candidates, base } = admitted;
    let opened: Opened<T>;
    try {
      opened = await open(candidates, base.attempts, base.ctx.signal, run);
    } catch (error) {
      return settleFailure(base, error);
    }
    const settlement = await settle({
      ...base,
      opened,
      firstByteAt: now(),
      status: "success",
      ...usageOf(opened.value),
      responseContent: base.requestContent === null ? undefined : outputContent(opened.value),
    });
    return { result: opened.value, served: servedBy(opened.candidate), settlement };
  }

  /** The worst case of a chat for the hold: an overestimated prompt and the full output allowance. */
  const chatWorstCase = (request: ChatRequest) => {
    const inputTokens = holdInputTokens(request);
    return (candidate: Candidate): PricedUsage => ({
      inputTokens,
      outputTokens: request.maxTokens ?? candidate.model?.maxOutputTokens ?? DEFAULT_HOLD_OUTPUT_TOKENS,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
  };

  /** One whole chat answer; aborting `ctx.signal` stops the upstream work at once. */
  async function chat(request: ChatRequest, ctx: CallContext) {
    const admitted = await admit("chat", request.model, false, ctx, chatWorstCase(request), () =>
      chatRequestContent(request),
    );
    return whole(
      admitted,
      (provider, target, candidate) => provider.chat(upstreamRequest(request, candidate), target, ctx.signal),
      (result) => ({ usage: result.usage, estimated: false, finishReason: result.finishReason }),
      chatOutputContent,
    );
  }

  /**
   * Prepares a streamed chat (limits, model, hold: errors here are real HTTP statuses); its `start()` resolves once
   * the first upstream chunk arrived (failover happens before that), or throws the mapped error. A pump reads
   * upstream independently of the client, so a disconnect still settles: it keeps reading for the final usage up to
   * `drainMs`, then aborts upstream and bills an estimate of what was generated.
   */
  async function prepareStream(request: ChatRequest, ctx: CallContext): Promise<PreparedStream> {
    const { candidates, base } = await admit("chat", request.model, true, ctx, chatWorstCase(request), () =>
      chatRequestContent(request),
    );
    return { model: candidates[0]!.id, start: () => startStream(request, candidates, base) };
  }

  async function startStream(request: ChatRequest, candidates: Candidate[], base: CallBase): Promise<ChatStream> {
    const { ctx } = base;
    const upstream = new AbortController();
    const abortBeforeFirstByte = () => upstream.abort();
    ctx.signal.addEventListener("abort", abortBeforeFirstByte, { once: true });
    let opened: Opened<{ iterator: AsyncIterator<ChatChunk>; first: IteratorResult<ChatChunk> }>;
    try {
      opened = await open(candidates, base.attempts, upstream.signal, async (provider, target, candidate) => {
        const iterator = provider
          .chatStream(upstreamRequest(request, candidate), target, upstream.signal)
          [Symbol.asyncIterator]();
        return { iterator, first: await iterator.next() };
      });
    } catch (error) {
      return settleFailure(base, error);
    } finally {
      ctx.signal.removeEventListener("abort", abortBeforeFirstByte);
    }
    const firstByteAt = now();
    const queue = new ChunkQueue<ChatChunk>();
    let usage: Usage | null = null;
    let finishReason: FinishReason = "stop";
    let generated = "";
    const transcript = base.requestContent === null ? null : new StreamTranscript();
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    let clientGone = false;

    const leave = () => {
      if (clientGone) return;
      clientGone = true;
      queue.abandon();
      drainTimer = setTimeout(() => upstream.abort(), drainMs);
    };
    ctx.signal.addEventListener("abort", leave, { once: true });

    const settled = (async (): Promise<Settlement> => {
      let failure: UpstreamFailure | undefined;
      try {
        let step = opened.value.first;
        while (!step.done) {
          const chunk = step.value;
          if (chunk.type === "usage") usage = chunk.usage;
          else if (chunk.type === "finish") finishReason = chunk.reason;
          else if (chunk.type === "tool_call") generated += chunk.argumentsDelta;
          else generated += chunk.text;
          transcript?.add(chunk);
          await queue.push(chunk);
          // The rest of a stream that came in one read (and its settlement) would hold back the first frame's write.
          if (step === opened.value.first) await nextLoopTurn();
          step = await opened.value.iterator.next();
        }
      } catch (error) {
        if (!clientGone) failure = asFailure(error, upstream.signal);
      } finally {
        clearTimeout(drainTimer);
        ctx.signal.removeEventListener("abort", leave);
        queue.close();
      }
      if (failure) health.report(opened.credential, { ok: false, failure });
      return settle({
        ...base,
        opened,
        firstByteAt,
        status: failure ? "failed" : clientGone ? "cancelled" : "success",
        usage: usage ?? {
          inputTokens: estimateRequestTokens(request),
          outputTokens: estimateTextTokens(generated),
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        },
        estimated: usage === null,
        finishReason,
        error: failure ? failureToError(failure, opened.candidate.provider.name) : undefined,
        responseContent: transcript?.content(),
      });
    })();

    unsettled.add(settled);
    void settled.finally(() => unsettled.delete(settled));

    async function* chunks(): AsyncGenerator<ChatChunk> {
      let ended = false;
      try {
        for (;;) {
          const next = await queue.shift();
          if (next === undefined) {
            ended = true;
            return;
          }
          yield next;
        }
      } finally {
        if (!ended) leave();
      }
    }

    return { served: servedBy(opened.candidate), chunks: chunks(), settled };
  }

  /** Embeddings, billed on input tokens. */
  async function embed(request: EmbeddingRequest, ctx: CallContext) {
    const inputTokens = request.input.reduce((n, text) => n + Math.ceil(Buffer.byteLength(text) / 2), 0);
    const admitted = await admit(
      "embedding",
      request.model,
      false,
      ctx,
      () => ({ ...ZERO_USAGE, inputTokens }),
      () => embeddingRequestContent(request),
    );
    return whole(
      admitted,
      (provider, target, candidate) =>
        provider.embed({ ...request, model: candidate.upstreamModel }, target, ctx.signal),
      (result) => ({
        usage: { ...ZERO_USAGE, inputTokens: result.usage.inputTokens },
        estimated: false,
        finishReason: "stop" as const,
      }),
      embeddingOutputContent,
    );
  }

  /** Image generation, billed per image at the output rate plus prompt tokens at the input rate. */
  async function image(request: ImageRequest, ctx: CallContext) {
    const admitted = await admit(
      "image",
      request.model,
      false,
      ctx,
      () => ({ ...ZERO_USAGE, inputTokens: Math.ceil(Buffer.byteLength(request.prompt) / 2), outputTokens: request.n }),
      () => imageRequestContent(request),
    );
    return whole(
      admitted,
      (provider, target, candidate) =>
        provider.image({ ...request, model: candidate.upstreamModel }, target, ctx.signal),
      (result) => ({
        usage: {
          ...ZERO_USAGE,
          inputTokens: result.usage?.inputTokens ?? estimateTextTokens(request.prompt),
          outputTokens: result.images.length,
        },
        estimated: !result.usage,
        finishReason: "stop" as const,
      }),
      imageOutputContent,
    );
  }

  /** Resolves when every started stream has settled (shutdown waits for this before closing the database). */
  async function quiesce(): Promise<void> {
    await Promise.allSettled([...unsettled]);
  }

  /** The enabled models on enabled providers, with rates and whether a usable credential serves them now. */
  async function models(): Promise<ModelListing[]> {
    const view = await catalog.view();
    const listings: ModelListing[] = [];
    for (const model of view.models) {
      const provider = view.providers.find((p) => p.id === model.providerId);
      if (!provider?.enabled || !model.enabled) continue;
      const credentials = view.credentialsByProvider.get(provider.id) ?? [];
      listings.push({
        id: `${provider.name}/${model.model}`,
        provider: provider.name,
        model: model.model,
        type: model.type,
        inputRate: formatRate(model.inputRate),
        outputRate: formatRate(model.outputRate),
        maxOutputTokens: model.maxOutputTokens,
        available: credentials.some((c) => health.usable(c)),
        created: Math.floor(model.createdAt / 1000),
      });
    }
    return listings;
  }

  /** Whether a model can be served right now: it resolves and one of its credentials is usable. */
  async function availability(model: string): Promise<{ available: boolean; error?: string }> {
    try {
      const candidates = await catalog.resolve(model, "chat");
      const usable = candidates.some((c) => c.credentials.some((credential) => health.usable(credential)));
      return usable
        ? { available: true }
        : { available: false, error: "no usable credential for this model right now" };
    } catch (error) {
      return { available: false, error: error instanceof AppError ? error.message : "unavailable" };
    }
  }

  return { chat, prepareStream, embed, image, models, availability, quiesce };
}

/** The engine's type. */
export type Gateway = ReturnType<typeof createGateway>;

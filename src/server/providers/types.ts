/** @module The provider contract: one module per upstream family behind one interface; no storage, no credits. */
import type {
  ChatChunk,
  ChatRequest,
  ChatResult,
  EmbeddingRequest,
  EmbeddingResult,
  ImageRequest,
  ImageResult,
} from "../services/gateway/types";

/** The provider families an operator can configure. */
export type ProviderType = "openai" | "openai-compatible" | "anthropic" | "gemini";

/** Where and as whom one attempt calls: the engine picks the credential, the provider only uses it. */
export interface ProviderTarget {
  /** What the official SDK takes as its base URL (`https://api.openai.com/v1`, `https://api.anthropic.com`, …). */
  baseUrl: string;
  apiKey: string;
  /** The upstream model id, without the hub's provider prefix. */
  model: string;
  /** Give up when the upstream has not sent its response headers within this many ms. */
  timeoutMs: number;
}

/** How an upstream call failed; the engine decides failover and cooldown from `kind`. */
export type UpstreamFailureKind =
  | "auth"
  | "rate_limit"
  | "overloaded"
  | "bad_request"
  | "not_found"
  | "timeout"
  | "network"
  | "server";

/** A failed upstream call. The message is safe to show: never a key, never the upstream URL's credentials. */
export class UpstreamFailure extends Error {
  override readonly name = "UpstreamFailure";
  constructor(
    readonly kind: UpstreamFailureKind,
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** One upstream family. Streams end when the upstream ends; an abort of `signal` ends the upstream request. */
export interface Provider {
  readonly type: ProviderType;
  /** Yields canonical chunks as the upstream sends them; the last chunks are usage (when known) and finish. */
  chatStream(request: ChatRequest, target: ProviderTarget, signal: AbortSignal): AsyncIterable<ChatChunk>;
  /** One whole answer. */
  chat(request: ChatRequest, target: ProviderTarget, signal: AbortSignal): Promise<ChatResult>;
  /** Embeddings; providers without them throw UpstreamFailure("bad_request"). */
  embed(request: EmbeddingRequest, target: ProviderTarget, signal: AbortSignal): Promise<EmbeddingResult>;
  /** Image generation; providers without it throw UpstreamFailure("bad_request"). */
  image(request: ImageRequest, target: ProviderTarget, signal: AbortSignal): Promise<ImageResult>;
  /** A cheap authenticated call (the model list) used to probe a credential back to health. */
  probe(target: Omit<ProviderTarget, "model">, signal: AbortSignal): Promise<void>;
}

/** @module Abuse limits (§12 items 1, 2, 19): per-key and per-address buckets, registration cap, stream slots. */
import { AppError, forbidden, rateLimited } from "../../../shared/errors";
import { clientAddressResolver, isLoopback } from "./client-address";
import { createRateLimiter } from "./rate-limit";
import type { PlatformSettings } from "./settings";

/** The one string every platform 429 carries. */
const RATE_LIMITED = "rate_limited";
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Stream slots are released when a stream ends; a new one waits a few seconds before retrying. */
const STREAM_RETRY_SECONDS = 5;

/** Builds the guard over the settings. */
export function createPlatformGuard(settings: PlatformSettings, now: () => number) {
  const requests = createRateLimiter();
  const registrations = createRateLimiter({ maxEntries: 10_000 });
  const resolveAddress = clientAddressResolver(settings.trustedProxies);
  const streamsByAddress = new Map<string, number>();
  let streamsOpen = 0;

  const enforce = (decision: ReturnType<typeof requests.take>) => {
    if (!decision.ok) throw rateLimited(RATE_LIMITED, decision.retryAfterSeconds);
  };

  return {
    /** The caller's address: the socket peer unless that is a trusted proxy. */
    clientAddress: (peer: string, headers: Headers) => resolveAddress(peer, headers),

    /** Counts a request of an authenticated key (600 per minute by default). */
    limitKey(rateKey: string): void {
      enforce(requests.take(`key:${rateKey}`, { capacity: settings.keyRequestsPerMinute, windowMs: MINUTE_MS }, now()));
    },

    /** Counts an anonymous request (120 per minute per address by default); loopback is not exempt. */
    limitAddress(address: string): void {
      enforce(
        requests.take(`ip:${address}`, { capacity: settings.anonymousRequestsPerMinute, windowMs: MINUTE_MS }, now()),
      );
    },

    /** Admits one registration from `address` (§5.1): the switch, then 30 per hour, loopback exempt. */
    admitRegistration(address: string): void {
      if (!settings.registrationOpen) throw forbidden("registration disabled");
      if (isLoopback(address)) return;
      enforce(
        registrations.take(address, { capacity: settings.registrationsPerAddressPerHour, windowMs: HOUR_MS }, now()),
      );
    },

    /** Takes a stream slot for `address`; the returned function gives it back (safe to call twice). */
    acquireStream(address: string): () => void {
      const mine = streamsByAddress.get(address) ?? 0;
      if (mine >= settings.streamsPerAddress || streamsOpen >= settings.streamsTotal) {
        throw new AppError("rate_limited", 429, RATE_LIMITED, { retryAfterSeconds: STREAM_RETRY_SECONDS });
      }
      streamsByAddress.set(address, mine + 1);
      streamsOpen++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        streamsOpen--;
        const left = (streamsByAddress.get(address) ?? 1) - 1;
        if (left > 0) streamsByAddress.set(address, left);
        else streamsByAddress.delete(address);
      };
    },
  };
}

/** The guard's type. */
export type PlatformGuard = ReturnType<typeof createPlatformGuard>;

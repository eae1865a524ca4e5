/** @module Abuse limits: token buckets in a bounded map, client addresses behind trusted proxies, the registration cap. */
import { describe, expect, test } from "bun:test";
import {
  clientAddressResolver,
  isLoopback,
  parseCidr,
  parseIp,
} from "../../../src/server/services/agents/client-address";
import { createPlatformGuard } from "../../../src/server/services/agents/guard";
import { createRateLimiter } from "../../../src/server/services/agents/rate-limit";
import { resolvePlatformSettings } from "../../../src/server/services/agents/settings";

const MINUTE = { capacity: 2, windowMs: 60_000 };

describe("token buckets", () => {
  test("a bucket allows its capacity, then says how long to wait, and refills over the window", () => {
    const limiter = createRateLimiter();
    expect(limiter.take("k", MINUTE, 0)).toEqual({ ok: true });
    expect(limiter.take("k", MINUTE, 0)).toEqual({ ok: true });
    expect(limiter.take("k", MINUTE, 0)).toEqual({ ok: false, retryAfterSeconds: 30 });
    expect(limiter.take("k", MINUTE, 30_000)).toEqual({ ok: true });
    expect(limiter.take("other", MINUTE, 0)).toEqual({ ok: true });
  });

  test("the map holds at most maxEntries buckets, forgetting the least recently used", () => {
    const limiter = createRateLimiter({ maxEntries: 3 });
    for (let i = 0; i < 100; i++) limiter.take(`key-${i}`, MINUTE, 0);
    expect(limiter.size()).toBe(3);
  });
});

describe("client addresses", () => {
  const headers = (forwarded: string) => new Headers({ "x-forwarded-for": forwarded });

  test("parses IPv4, IPv6 and IPv4-mapped IPv6", () => {
    expect(parseIp("10.0.0.1")).toEqual(Uint8Array.from([10, 0, 0, 1]));
    expect(parseIp("::ffff:10.0.0.1")).toEqual(Uint8Array.from([10, 0, 0, 1]));
    expect(parseIp("::1")?.length).toBe(16);
    expect(parseIp("2001:db8::1")?.[15]).toBe(1);
    expect(parseIp("300.1.1.1")).toBeNull();
    expect(parseIp("nonsense")).toBeNull();
    expect(() => parseCidr("10.0.0.0/33")).toThrow("invalid trusted proxy CIDR");
  });

  test("without trusted proxies the socket peer is the client, whatever the headers say", () => {
    expect(clientAddressResolver([])("192.0.2.1", headers("203.0.113.9"))).toBe("192.0.2.1");
  });

  test("behind a trusted proxy the rightmost untrusted forwarded address is the client", () => {
    const resolve = clientAddressResolver(["10.0.0.0/8", "fd00::/8"]);
    expect(resolve("10.1.2.3", headers("198.51.100.1, 203.0.113.9, 10.9.9.9"))).toBe("203.0.113.9");
    expect(resolve("fd00::5", headers("203.0.113.9"))).toBe("203.0.113.9");
    expect(resolve("192.0.2.1", headers("203.0.113.9"))).toBe("192.0.2.1");
    expect(resolve("10.1.2.3", new Headers({ "x-real-ip": "203.0.113.4" }))).toBe("203.0.113.4");
    expect(resolve("10.1.2.3", headers("garbage"))).toBe("10.1.2.3");
  });

  test("loopback addresses", () => {
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopback("10.0.0.1")).toBe(false);
  });
});

describe("registration cap", () => {
  const settings = resolvePlatformSettings(
    { workItemLeaseSeconds: 300, matchingParticipantCount: 3, publishMinCompletedWorkItems: 1 },
    { registrationsPerAddressPerHour: 2 },
  );

  test("caps registrations per address per hour, exempting loopback", () => {
    const guard = createPlatformGuard(settings, () => 0);
    guard.admitRegistration("203.0.113.1");
    guard.admitRegistration("203.0.113.1");
    expect(() => guard.admitRegistration("203.0.113.1")).toThrow("rate_limited");
    for (let i = 0; i < 5; i++) guard.admitRegistration("127.0.0.1");
  });

  test("stream slots are counted per address and given back once", () => {
    const guard = createPlatformGuard({ ...settings, streamsPerAddress: 1 }, () => 0);
    const release = guard.acquireStream("a");
    expect(() => guard.acquireStream("a")).toThrow("rate_limited");
    release();
    release();
    guard.acquireStream("a")();
    guard.acquireStream("b");
  });
});

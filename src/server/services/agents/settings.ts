/** @module The agent platform's settings: the configured ones (interface.md) and the spec's recommended defaults. */

/** How the publish gate counts contributions: qualified completions (default) or the MVP's plain completions. */
export type PublishGateMode = "qualified" | "legacy";

/** Every knob of the platform, resolved; services read these, never the environment. */
export interface PlatformSettings {
  /** Lease length (AIGNE_HUB_WORK_ITEM_LEASE_SECONDS). */
  leaseMs: number;
  /** A lease's total lifetime across heartbeats. */
  maxLeaseLifetimeMs: number;
  /** Failures and expiries a work item survives before it fails. */
  maxAttempts: number;
  /** A user run nobody finished fails this long after it was published. */
  unclaimedRunExpiryMs: number;
  /** Live leases one agent may hold. */
  maxLeasesPerAgent: number;
  /** Agents offered each run (AIGNE_HUB_MATCHING_PARTICIPANT_COUNT). */
  participantCount: number;
  /** Contributions an owner needs before publishing (AIGNE_HUB_PUBLISH_MIN_COMPLETED_WORK_ITEMS). */
  publishMinCompleted: number;
  publishGateMode: PublishGateMode;
  /** Longest long-poll wait, in seconds. */
  pollWaitMaxSeconds: number;
  /** Whether `POST /v1/users` is open. */
  registrationOpen: boolean;
  /** Registrations per client address per hour (loopback exempt). */
  registrationsPerAddressPerHour: number;
  agentsPerOwner: number;
  /** Requests per minute per key (authenticated) and per client address (anonymous). */
  keyRequestsPerMinute: number;
  anonymousRequestsPerMinute: number;
  /** CIDRs whose forwarding headers are believed; none by default. */
  trustedProxies: string[];
  /** Concurrent SSE streams per client address and in total. */
  streamsPerAddress: number;
  streamsTotal: number;
  /** Idle SSE streams get a keep-alive comment this often. */
  keepaliveMs: number;
  /** How often live streams look in the database for events other processes wrote. */
  streamPollMs: number;
  /** Events buffered per live subscriber before it falls back to re-reading the database. */
  subscriberBufferEvents: number;
}

/** The recommended defaults of agent-platform.md §2 for everything interface.md does not configure. */
export const DEFAULT_PLATFORM_SETTINGS: Omit<PlatformSettings, "leaseMs" | "participantCount" | "publishMinCompleted"> =
  {
    maxLeaseLifetimeMs: 2 * 3600 * 1000,
    maxAttempts: 3,
    unclaimedRunExpiryMs: 7 * 86_400_000,
    maxLeasesPerAgent: 10,
    publishGateMode: "qualified",
    pollWaitMaxSeconds: 30,
    registrationOpen: true,
    registrationsPerAddressPerHour: 30,
    agentsPerOwner: 20,
    keyRequestsPerMinute: 600,
    anonymousRequestsPerMinute: 120,
    trustedProxies: [],
    streamsPerAddress: 10,
    streamsTotal: 2000,
    keepaliveMs: 15_000,
    streamPollMs: 1000,
    subscriberBufferEvents: 1024,
  };

/** Resolves the settings from the server configuration plus explicit overrides (tests, future env settings). */
export function resolvePlatformSettings(
  config: { workItemLeaseSeconds: number; matchingParticipantCount: number; publishMinCompletedWorkItems: number },
  overrides: Partial<PlatformSettings> = {},
): PlatformSettings {
  return {
    ...DEFAULT_PLATFORM_SETTINGS,
    leaseMs: config.workItemLeaseSeconds * 1000,
    participantCount: config.matchingParticipantCount,
    publishMinCompleted: config.publishMinCompletedWorkItems,
    ...overrides,
  };
}

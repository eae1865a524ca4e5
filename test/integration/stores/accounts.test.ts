/** @module The AccountStore and KeyStore contracts, run against the stores openStores gives for a temp data dir. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openStores } from "../../../src/db/open";
import type { HubKey, Stores } from "../../../src/db/stores";
import { AppError } from "../../../src/shared/errors";
import { type TempDir, tempDir } from "../../support/temp-dir";

const T0 = 1_800_000_000_000;
const MINUTE = 60_000;

let counter = 0;
/** A unique id per call, so tests never collide on primary keys. */
const nextId = (prefix: string) => `${prefix}-${++counter}`;

/** Opens the stores on a fresh data dir for one describe block. */
function useStores() {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  const state = {} as { stores: Stores };
  beforeAll(async () => {
    state.stores = await openStores({ dataDir: dir.path, databaseUrl: undefined });
  });
  afterAll(async () => {
    await state.stores.close();
    dir.remove();
  });
  return state;
}

async function expectConflict(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ type: "conflict", status: 409 });
  expect((error as Error).message).not.toMatch(/SQL|INSERT|UPDATE|constraint/i);
}

describe("AccountStore users", () => {
  const state = useStores();

  test("upsertUser creates a user with defaults from the email, trimmed", async () => {
    const { user, created } = await state.stores.accounts.upsertUser({
      newId: "u-ann",
      newDid: "zAnn",
      email: "  Ann.Lee@Example.com ",
      at: T0,
    });
    expect(created).toBe(true);
    expect(user).toMatchObject({
      id: "u-ann",
      did: "zAnn",
      email: "Ann.Lee@Example.com",
      name: "Ann.Lee",
      role: "user",
      createdAt: T0,
      updatedAt: T0,
    });
    expect(user).not.toHaveProperty("passwordHash");
  });

  test("upsertUser matches the email case-insensitively and updates only the given fields", async () => {
    const { user, created } = await state.stores.accounts.upsertUser({
      newId: "u-ignored",
      newDid: "zIgnored",
      email: "ann.lee@EXAMPLE.COM",
      role: "admin",
      passwordHash: "hash-1",
      at: T0 + 1000,
    });
    expect(created).toBe(false);
    expect(user).toMatchObject({ id: "u-ann", did: "zAnn", email: "Ann.Lee@Example.com", name: "Ann.Lee" });
    expect(user).toMatchObject({ role: "admin", createdAt: T0, updatedAt: T0 + 1000 });
    expect(await state.stores.accounts.findUserById("u-ignored")).toBeNull();

    const renamed = await state.stores.accounts.upsertUser({
      newId: "u-x",
      newDid: "zX",
      email: "ANN.LEE@example.com",
      name: "Ann",
      at: T0 + 2000,
    });
    expect(renamed.user).toMatchObject({ id: "u-ann", name: "Ann", role: "admin" });
    expect((await state.stores.accounts.findUserByEmail("ann.lee@example.com"))?.passwordHash).toBe("hash-1");
  });

  test("findUserByEmail ignores case and whitespace and returns the hash; unknown emails give null", async () => {
    const found = await state.stores.accounts.findUserByEmail(" ANN.LEE@example.com");
    expect(found).toMatchObject({ id: "u-ann", passwordHash: "hash-1" });
    expect(await state.stores.accounts.findUserByEmail("nobody@example.com")).toBeNull();
    expect(await state.stores.accounts.findUserById("u-ann")).toMatchObject({ email: "Ann.Lee@Example.com" });
    expect(await state.stores.accounts.findUserById("missing")).toBeNull();
  });

  test("a new user whose did or id is taken is a conflict and writes nothing", async () => {
    await expectConflict(
      state.stores.accounts.upsertUser({ newId: "u-bob", newDid: "zAnn", email: "bob@example.com", at: T0 }),
    );
    await expectConflict(
      state.stores.accounts.upsertUser({ newId: "u-ann", newDid: "zBob", email: "bob@example.com", at: T0 }),
    );
    expect(await state.stores.accounts.findUserByEmail("bob@example.com")).toBeNull();
  });
});

describe("AccountStore sessions", () => {
  const state = useStores();

  test("a session is found until it expires and is gone once deleted", async () => {
    const { user } = await state.stores.accounts.upsertUser({
      newId: "u-s",
      newDid: "zS",
      email: "s@example.com",
      at: T0,
    });
    const session = { id: "sess-1", userId: user.id, csrfToken: "csrf-1", createdAt: T0, expiresAt: T0 + MINUTE };
    await state.stores.accounts.createSession({ ...session, ip: "127.0.0.1", userAgent: "test" });
    expect(await state.stores.accounts.findSession("sess-1", T0 + 1)).toEqual({ session, user });
    expect(await state.stores.accounts.findSession("sess-1", T0 + MINUTE)).toBeNull();
    expect(await state.stores.accounts.findSession("unknown", T0)).toBeNull();
    await state.stores.accounts.deleteSession("sess-1");
    expect(await state.stores.accounts.findSession("sess-1", T0 + 1)).toBeNull();
    await state.stores.accounts.deleteSession("never-existed");
  });

  test("creating a session sweeps sessions that have expired", async () => {
    const base = { userId: "u-s", csrfToken: "c", ip: "127.0.0.1", userAgent: "test" };
    await state.stores.accounts.createSession({ ...base, id: "old", createdAt: T0, expiresAt: T0 + MINUTE });
    await state.stores.accounts.createSession({
      ...base,
      id: "new",
      createdAt: T0 + 2 * MINUTE,
      expiresAt: T0 + 10 * MINUTE,
    });
    expect(await state.stores.accounts.findSession("old", T0)).toBeNull();
    expect(await state.stores.accounts.findSession("new", T0 + 3 * MINUTE)).not.toBeNull();
  });
});

describe("AccountStore sign-in throttle", () => {
  const state = useStores();
  const policy = { windowMs: 15 * MINUTE, maxFailures: 3, lockMs: 10 * MINUTE };
  const fail = (bucket: string, at: number) =>
    state.stores.accounts.recordSignInFailure({ buckets: [bucket], at, ...policy });

  test("failures below the limit lock nothing; reaching it locks the bucket for lockMs", async () => {
    expect(await fail("email:a", T0)).toBeNull();
    expect(await fail("email:a", T0 + MINUTE)).toBeNull();
    expect(await state.stores.accounts.signInLockedUntil(["email:a"], T0 + MINUTE)).toBeNull();
    expect(await fail("email:a", T0 + 2 * MINUTE)).toBe(T0 + 12 * MINUTE);
    expect(await state.stores.accounts.signInLockedUntil(["email:a", "ip:x"], T0 + 3 * MINUTE)).toBe(T0 + 12 * MINUTE);
    expect(await state.stores.accounts.signInLockedUntil(["email:a"], T0 + 12 * MINUTE)).toBeNull();
    expect(await state.stores.accounts.signInLockedUntil(["email:other"], T0 + 3 * MINUTE)).toBeNull();
    expect(await state.stores.accounts.signInLockedUntil([], T0)).toBeNull();
  });

  test("failures spread wider than the window start a new count", async () => {
    expect(await fail("email:b", T0)).toBeNull();
    expect(await fail("email:b", T0 + MINUTE)).toBeNull();
    expect(await fail("email:b", T0 + 16 * MINUTE)).toBeNull();
    expect(await fail("email:b", T0 + 17 * MINUTE)).toBeNull();
    expect(await state.stores.accounts.signInLockedUntil(["email:b"], T0 + 17 * MINUTE)).toBeNull();
    expect(await fail("email:b", T0 + 18 * MINUTE)).toBe(T0 + 28 * MINUTE);
  });

  test("one call counts in every bucket it names and reports the latest lock", async () => {
    const both = { buckets: ["email:c", "ip:c"], ...policy };
    await state.stores.accounts.recordSignInFailure({ ...both, at: T0 });
    await state.stores.accounts.recordSignInFailure({ ...both, at: T0 + 1 });
    expect(await state.stores.accounts.recordSignInFailure({ ...both, at: T0 + 2 })).toBe(T0 + 2 + policy.lockMs);
    expect(await state.stores.accounts.signInLockedUntil(["ip:c"], T0 + 3)).toBe(T0 + 2 + policy.lockMs);
  });

  test("clearing a bucket forgets its failures but leaves other buckets", async () => {
    await fail("email:d", T0);
    await fail("email:d", T0 + 1);
    await fail("email:e", T0);
    await fail("email:e", T0 + 1);
    await state.stores.accounts.clearSignInFailures(["email:d"]);
    expect(await fail("email:d", T0 + 2)).toBeNull();
    expect(await fail("email:e", T0 + 2)).toBe(T0 + 2 + policy.lockMs);
    await state.stores.accounts.clearSignInFailures([]);
  });
});

describe("KeyStore", () => {
  const state = useStores();
  let userId = "";
  let otherUserId = "";

  const newKey = (overrides: Partial<HubKey & { keyHash: string }> = {}) => {
    const id = overrides.id ?? nextId("k");
    return state.stores.keys.createHubKey({
      id,
      userId,
      keyHash: `hash-${id}`,
      hint: "ahk_abcd…wxyz",
      name: "default",
      source: "admin",
      createdAt: T0,
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
      ...overrides,
    });
  };

  beforeAll(async () => {
    userId = (await state.stores.accounts.upsertUser({ newId: "u-k", newDid: "zK", email: "k@example.com", at: T0 }))
      .user.id;
    otherUserId = (
      await state.stores.accounts.upsertUser({ newId: "u-o", newDid: "zO", email: "o@example.com", at: T0 })
    ).user.id;
  });

  test("createHubKey returns the record without the hash, and findActiveHubKey finds it with its user", async () => {
    const key = await newKey({ id: "k-find", name: "laptop", source: "web" });
    expect(key).not.toHaveProperty("keyHash");
    expect(key).toMatchObject({
      id: "k-find",
      userId,
      hint: "ahk_abcd…wxyz",
      name: "laptop",
      source: "web",
      createdAt: T0,
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
    });
    const found = await state.stores.keys.findActiveHubKey("hash-k-find", T0);
    expect(found?.key).toEqual(key);
    expect(found?.user).toMatchObject({ id: userId, email: "k@example.com" });
    expect(await state.stores.keys.findActiveHubKey("no-such-hash", T0)).toBeNull();
  });

  test("a duplicate id or hash, or an unknown user, is a conflict", async () => {
    await newKey({ id: "k-dup" });
    await expectConflict(newKey({ id: "k-dup", keyHash: "another-hash" }));
    await expectConflict(newKey({ id: "k-dup-2", keyHash: "hash-k-dup" }));
    await expectConflict(newKey({ id: "k-orphan", userId: "no-such-user" }));
    expect(await state.stores.keys.findActiveHubKey("hash-k-orphan", T0)).toBeNull();
  });

  test("findActiveHubKey ignores revoked keys and keys whose expiry has passed", async () => {
    await newKey({ id: "k-expiring", expiresAt: T0 + MINUTE });
    expect(await state.stores.keys.findActiveHubKey("hash-k-expiring", T0 + MINUTE - 1)).not.toBeNull();
    expect(await state.stores.keys.findActiveHubKey("hash-k-expiring", T0 + MINUTE)).toBeNull();
    await newKey({ id: "k-revoked", revokedAt: T0 });
    expect(await state.stores.keys.findActiveHubKey("hash-k-revoked", T0 + 1)).toBeNull();
  });

  test("revokeHubKey revokes once, and only for the owning user when one is given", async () => {
    await newKey({ id: "k-revoke" });
    expect(await state.stores.keys.revokeHubKey({ id: "k-revoke", userId: otherUserId, at: T0 + 5 })).toBeNull();
    expect(await state.stores.keys.findActiveHubKey("hash-k-revoke", T0 + 5)).not.toBeNull();

    const revoked = await state.stores.keys.revokeHubKey({ id: "k-revoke", userId, at: T0 + 10 });
    expect(revoked).toMatchObject({ id: "k-revoke", revokedAt: T0 + 10 });
    expect(await state.stores.keys.revokeHubKey({ id: "k-revoke", at: T0 + 20 })).toBeNull();
    expect(await state.stores.keys.findActiveHubKey("hash-k-revoke", T0 + 20)).toBeNull();
    expect(await state.stores.keys.revokeHubKey({ id: "k-never", at: T0 })).toBeNull();
    const listed = await state.stores.keys.listHubKeys(userId);
    expect(listed.find((k) => k.id === "k-revoke")?.revokedAt).toBe(T0 + 10);
  });

  test("touchHubKey sets last-used at most once per interval", async () => {
    await newKey({ id: "k-touch" });
    const lastUsed = async () => (await state.stores.keys.findActiveHubKey("hash-k-touch", T0))?.key.lastUsedAt;
    await state.stores.keys.touchHubKey("k-touch", T0 + 1000, MINUTE);
    expect(await lastUsed()).toBe(T0 + 1000);
    await state.stores.keys.touchHubKey("k-touch", T0 + 30_000, MINUTE);
    expect(await lastUsed()).toBe(T0 + 1000);
    await state.stores.keys.touchHubKey("k-touch", T0 + 1000 + MINUTE + 1, MINUTE);
    expect(await lastUsed()).toBe(T0 + 1000 + MINUTE + 1);
  });

  test("listHubKeys lists a user's keys newest first, revoked ones included, and no one else's", async () => {
    const owner = (
      await state.stores.accounts.upsertUser({ newId: "u-list", newDid: "zL", email: "list@example.com", at: T0 })
    ).user.id;
    await newKey({ id: "k-l1", userId: owner, createdAt: T0 + 1 });
    await newKey({ id: "k-l2", userId: owner, createdAt: T0 + 3, revokedAt: T0 + 4 });
    await newKey({ id: "k-l3", userId: owner, createdAt: T0 + 2 });
    await newKey({ id: "k-l4", userId: otherUserId, createdAt: T0 + 5 });
    expect((await state.stores.keys.listHubKeys(owner)).map((k) => k.id)).toEqual(["k-l2", "k-l3", "k-l1"]);
    expect(await state.stores.keys.listHubKeys("nobody")).toEqual([]);
  });
});

describe("Stores lifecycle", () => {
  test("ping answers while open, close is idempotent, and a reopen sees the data", async () => {
    const dir = tempDir();
    try {
      const first = await openStores({ dataDir: dir.path, databaseUrl: undefined });
      await first.ping();
      await first.accounts.upsertUser({ newId: "u-r", newDid: "zR", email: "r@example.com", at: T0 });
      await first.close();
      await first.close();
      const reopened = await openStores({ dataDir: dir.path, databaseUrl: undefined });
      expect(await reopened.accounts.findUserByEmail("R@example.com")).toMatchObject({ id: "u-r" });
      await reopened.close();
    } finally {
      dir.remove();
    }
  });
});

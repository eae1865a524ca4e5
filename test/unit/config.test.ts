/** @module Configuration: the .env file order and flag > env > files > default, resolved without process state. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Environment, gatherEnvironment, resolveServerConfig } from "../../src/config";
import type { ParsedFlags } from "../../src/shared/args";
import { UsageError } from "../../src/shared/errors";
import { type TempDir, tempDir } from "../support/temp-dir";

const CWD = "/srv/hub";
const flags = (values: ParsedFlags["values"] = {}): ParsedFlags => ({ values, positionals: [] });
const resolveWith = (env: Environment, values: ParsedFlags["values"] = {}) =>
  resolveServerConfig(flags(values), env, CWD);

/** Asserts that resolving throws a UsageError whose message contains every fragment. */
function expectUsageError(run: () => unknown, ...fragments: string[]) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UsageError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describe("gatherEnvironment", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
    const write = (name: string, text: string) => writeFileSync(join(dir.path, name), text);
    write(".env", "ORDER=env\nFROM_ENV=1\nNODE_ENV=staging\n");
    write(".env.local", "ORDER=env.local\nFROM_LOCAL=1\n");
    write(".env.test", "ORDER=env.test\nFROM_NODE_ENV=1\n");
    write(".env.test.local", "ORDER=env.test.local\nFROM_NODE_ENV_LOCAL=1\n");
    write(".env.staging", "ORDER=env.staging\nFROM_STAGING=1\n");
    write("extra.env", 'ORDER=extra\nQUOTED="a b # not a comment"\n');
  });
  afterAll(() => dir.remove());

  test("later files win: .env, .env.local, .env.<NODE_ENV>, .env.<NODE_ENV>.local, then --env-file", () => {
    expect(gatherEnvironment({ env: {}, cwd: dir.path }).ORDER).toBe("env.local");
    expect(gatherEnvironment({ env: { NODE_ENV: "test" }, cwd: dir.path }).ORDER).toBe("env.test.local");
    const all = gatherEnvironment({ env: { NODE_ENV: "test" }, cwd: dir.path, envFile: "extra.env" });
    expect(all.ORDER).toBe("extra");
    expect(all).toMatchObject({ FROM_ENV: "1", FROM_LOCAL: "1", FROM_NODE_ENV: "1", FROM_NODE_ENV_LOCAL: "1" });
    expect(all.QUOTED).toBe("a b # not a comment");
  });

  test("the real environment wins over every file", () => {
    const env = gatherEnvironment({ env: { NODE_ENV: "test", ORDER: "real" }, cwd: dir.path, envFile: "extra.env" });
    expect(env.ORDER).toBe("real");
  });

  test("NODE_ENV comes from the real environment, not from a file", () => {
    const env = gatherEnvironment({ env: {}, cwd: dir.path });
    expect(env.FROM_STAGING).toBeUndefined();
    expect(env.FROM_NODE_ENV).toBeUndefined();
  });

  test("unset variables in the real environment do not hide file values", () => {
    expect(gatherEnvironment({ env: { ORDER: undefined }, cwd: dir.path }).ORDER).toBe("env.local");
  });

  test("a missing --env-file is a usage error naming its absolute path; missing default files are fine", () => {
    const empty = tempDir();
    try {
      expect(gatherEnvironment({ env: { A: "1" }, cwd: empty.path })).toEqual({ A: "1" });
      expectUsageError(
        () => gatherEnvironment({ env: {}, cwd: empty.path, envFile: "nope.env" }),
        join(empty.path, "nope.env"),
      );
    } finally {
      empty.remove();
    }
  });

  test("the result is frozen", () => {
    expect(Object.isFrozen(gatherEnvironment({ env: {}, cwd: dir.path }))).toBe(true);
  });
});

describe("resolveServerConfig", () => {
  test("defaults apply when neither flags nor environment say anything", () => {
    const config = resolveWith({});
    expect(config).toMatchObject({
      host: "0.0.0.0",
      port: 8090,
      dataDir: "/srv/hub/aigne-hub-data",
      scheme: "http",
      workItemLeaseSeconds: 300,
      workerTickMs: 5000,
      matchingParticipantCount: 3,
      publishMinCompletedWorkItems: 1,
      signupCredits: "0",
      nodeEnv: "production",
      development: false,
      maxBodyBytes: 32 * 1024 * 1024,
      shutdownGraceMs: 30_000,
      logLevel: "info",
    });
    expect(config.tlsCert).toBeUndefined();
    expect(config.publicUrl).toBeUndefined();
    expect(config.secret).toBeUndefined();
    expect(config.pepper).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
    expect(config.creditsOverride).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  test("a flag wins over the environment, which wins over the default", () => {
    const env = { AIGNE_HUB_HOST: "10.0.0.1", AIGNE_HUB_PORT: "9000", AIGNE_HUB_DATA_DIR: "/var/env-data" };
    expect(resolveWith(env)).toMatchObject({ host: "10.0.0.1", port: 9000, dataDir: "/var/env-data" });
    const flagged = resolveWith(env, { host: "127.0.0.1", port: "0", "data-dir": "rel/data" });
    expect(flagged).toMatchObject({ host: "127.0.0.1", port: 0, dataDir: "/srv/hub/rel/data" });
  });

  test("an empty environment value counts as unset", () => {
    expect(resolveWith({ AIGNE_HUB_PORT: "", AIGNE_HUB_HOST: "", AIGNE_HUB_DATA_DIR: "" })).toMatchObject({
      host: "0.0.0.0",
      port: 8090,
      dataDir: "/srv/hub/aigne-hub-data",
    });
  });

  test("AIHUB_HTTP_ADDR gives host and port, and loses to AIGNE_HUB_HOST and AIGNE_HUB_PORT", () => {
    expect(resolveWith({ AIHUB_HTTP_ADDR: "127.0.0.2:8081" })).toMatchObject({ host: "127.0.0.2", port: 8081 });
    expect(resolveWith({ AIHUB_HTTP_ADDR: ":8082" })).toMatchObject({ host: "0.0.0.0", port: 8082 });
    expect(resolveWith({ AIHUB_HTTP_ADDR: "[::1]:8083" })).toMatchObject({ host: "::1", port: 8083 });
    const both = { AIHUB_HTTP_ADDR: "127.0.0.2:8081", AIGNE_HUB_PORT: "9001", AIGNE_HUB_HOST: "10.1.1.1" };
    expect(resolveWith(both)).toMatchObject({ host: "10.1.1.1", port: 9001 });
    expect(resolveWith({ AIHUB_HTTP_ADDR: "127.0.0.2:8081" }, { port: "7000" }).port).toBe(7000);
  });

  test("AIHUB_* aliases apply alone and lose to their AIGNE_HUB_* names", () => {
    const legacy = {
      AIHUB_DATABASE_URL: "sqlite:///legacy.db",
      AIHUB_API_KEY_PEPPER: "legacy-pepper",
      AIHUB_WORK_ITEM_LEASE_SECONDS: "60",
      AIHUB_WORKER_TICK_SECONDS: "0.2",
      AIHUB_MATCHING_PARTICIPANT_COUNT: "5",
      AIHUB_PUBLISH_MIN_COMPLETED_WORK_ITEMS: "2",
    };
    expect(resolveWith(legacy)).toMatchObject({
      databaseUrl: "sqlite:///legacy.db",
      pepper: "legacy-pepper",
      workItemLeaseSeconds: 60,
      workerTickMs: 200,
      matchingParticipantCount: 5,
      publishMinCompletedWorkItems: 2,
    });
    const both = {
      ...legacy,
      AIGNE_HUB_DATABASE_URL: "sqlite:///new.db",
      AIGNE_HUB_API_KEY_PEPPER: "new-pepper",
      AIGNE_HUB_WORK_ITEM_LEASE_SECONDS: "90",
      AIGNE_HUB_WORKER_TICK_SECONDS: "1.5",
      AIGNE_HUB_MATCHING_PARTICIPANT_COUNT: "7",
      AIGNE_HUB_PUBLISH_MIN_COMPLETED_WORK_ITEMS: "3",
    };
    expect(resolveWith(both)).toMatchObject({
      databaseUrl: "sqlite:///new.db",
      pepper: "new-pepper",
      workItemLeaseSeconds: 90,
      workerTickMs: 1500,
      matchingParticipantCount: 7,
      publishMinCompletedWorkItems: 3,
    });
  });

  test("invalid ports are usage errors naming the source and the value", () => {
    expectUsageError(() => resolveWith({}, { port: "abc" }), "--port", '"abc"');
    expectUsageError(() => resolveWith({}, { port: "65536" }), "--port", "65536");
    expectUsageError(() => resolveWith({}, { port: "-1" }), "--port");
    expectUsageError(() => resolveWith({ AIGNE_HUB_PORT: "80a" }), "AIGNE_HUB_PORT", '"80a"');
    expectUsageError(() => resolveWith({ AIHUB_HTTP_ADDR: "localhost" }), "AIHUB_HTTP_ADDR", '"localhost"');
    expectUsageError(() => resolveWith({ AIHUB_HTTP_ADDR: ":99999" }), "AIHUB_HTTP_ADDR");
  });

  test("invalid numbers are usage errors naming the variable that held them", () => {
    expectUsageError(
      () => resolveWith({ AIGNE_HUB_WORK_ITEM_LEASE_SECONDS: "ten" }),
      "AIGNE_HUB_WORK_ITEM_LEASE_SECONDS",
    );
    expectUsageError(() => resolveWith({ AIGNE_HUB_WORK_ITEM_LEASE_SECONDS: "29" }), "at least 30");
    expectUsageError(() => resolveWith({ AIGNE_HUB_WORK_ITEM_LEASE_SECONDS: "45.5" }), "whole number");
    expectUsageError(() => resolveWith({ AIHUB_WORKER_TICK_SECONDS: "0" }), "AIHUB_WORKER_TICK_SECONDS", '"0"');
    expectUsageError(() => resolveWith({ AIGNE_HUB_WORKER_TICK_SECONDS: "1e3" }), "AIGNE_HUB_WORKER_TICK_SECONDS");
    expectUsageError(() => resolveWith({ AIGNE_HUB_MATCHING_PARTICIPANT_COUNT: "0" }), "MATCHING_PARTICIPANT_COUNT");
    expectUsageError(() => resolveWith({ AIGNE_HUB_MAX_BODY_BYTES: "100" }), "AIGNE_HUB_MAX_BODY_BYTES", "1024");
    expectUsageError(() => resolveWith({ AIGNE_HUB_SHUTDOWN_GRACE_SECONDS: "soon" }), "SHUTDOWN_GRACE_SECONDS");
    expectUsageError(() => resolveWith({ AIGNE_HUB_SIGNUP_CREDITS: "1.5e3" }), "AIGNE_HUB_SIGNUP_CREDITS");
  });

  test("fractional seconds are allowed where the contract allows them", () => {
    expect(
      resolveWith({ AIGNE_HUB_WORKER_TICK_SECONDS: "0.2", AIGNE_HUB_SHUTDOWN_GRACE_SECONDS: "0.5" }),
    ).toMatchObject({
      workerTickMs: 200,
      shutdownGraceMs: 500,
    });
    expect(resolveWith({ AIGNE_HUB_MAX_BODY_BYTES: "2048" }).maxBodyBytes).toBe(2048);
  });

  test("TLS needs both files, resolves them against the working directory and switches the scheme", () => {
    expectUsageError(() => resolveWith({}, { "tls-cert": "cert.pem" }), "--tls-cert and --tls-key");
    expectUsageError(() => resolveWith({ AIGNE_HUB_TLS_KEY: "key.pem" }), "--tls-cert and --tls-key");
    const config = resolveWith({ AIGNE_HUB_TLS_KEY: "/etc/hub/key.pem" }, { "tls-cert": "cert.pem" });
    expect(config).toMatchObject({ scheme: "https", tlsCert: "/srv/hub/cert.pem", tlsKey: "/etc/hub/key.pem" });
  });

  test("the public URL must be http(s) and loses its trailing slash", () => {
    expect(resolveWith({ AIGNE_HUB_PUBLIC_URL: "https://hub.example.com/" }).publicUrl).toBe("https://hub.example.com");
    expect(
      resolveWith({ AIGNE_HUB_PUBLIC_URL: "https://a.example" }, { "public-url": "http://b.example/" }).publicUrl,
    ).toBe("http://b.example");
    expectUsageError(() => resolveWith({}, { "public-url": "ftp://hub.example.com" }), "ftp://hub.example.com");
    expectUsageError(() => resolveWith({}, { "public-url": "not a url" }), "not a url");
  });

  test("switches, log levels and NODE_ENV are read strictly", () => {
    expect(resolveWith({ AIGNE_HUB_CREDITS: "off" }).creditsOverride).toBe(false);
    expect(resolveWith({ AIGNE_HUB_CREDITS: "ON" }).creditsOverride).toBe(true);
    expectUsageError(() => resolveWith({ AIGNE_HUB_CREDITS: "maybe" }), "AIGNE_HUB_CREDITS", '"maybe"');
    expect(resolveWith({}).storeContentOverride).toBeUndefined();
    expect(resolveWith({ AIGNE_HUB_STORE_CONTENT: "on" }).storeContentOverride).toBe(true);
    expectUsageError(() => resolveWith({ AIGNE_HUB_STORE_CONTENT: "maybe" }), "AIGNE_HUB_STORE_CONTENT", '"maybe"');
    expect(resolveWith({ AIGNE_HUB_LOG_LEVEL: "DEBUG" }).logLevel).toBe("debug");
    expectUsageError(() => resolveWith({ AIGNE_HUB_LOG_LEVEL: "loud" }), "AIGNE_HUB_LOG_LEVEL");
    expect(resolveWith({ NODE_ENV: "development" })).toMatchObject({ nodeEnv: "development", development: true });
    expect(resolveWith({ NODE_ENV: "test" })).toMatchObject({ nodeEnv: "test", development: false });
  });

  test("secrets come from the environment only when set", () => {
    expect(resolveWith({ AIGNE_HUB_SECRET: "master", AIGNE_HUB_API_KEY_PEPPER: "pep" })).toMatchObject({
      secret: "master",
      pepper: "pep",
    });
    expect(resolveWith({ AIGNE_HUB_SECRET: "" }).secret).toBeUndefined();
  });
});

describe("upstream HTTP proxy", () => {
  test("HTTP_PROXY (or http_proxy) sends plain-http upstreams through fetch, which honours it", () => {
    expect(resolveWith({}).upstreamHttpProxy).toBe(false);
    expect(resolveWith({ HTTP_PROXY: "http://proxy.internal:3128" }).upstreamHttpProxy).toBe(true);
    expect(resolveWith({ http_proxy: "http://proxy.internal:3128" }).upstreamHttpProxy).toBe(true);
  });
});

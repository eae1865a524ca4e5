/** @module SQLite implementation of CatalogStore: providers, credentials, models, rates, aliases, settings. */
import type { Database } from "bun:sqlite";
import { and, asc, eq, sql } from "drizzle-orm";
import type { CatalogStore, CredentialRecord, ModelRecord, ProviderRecord } from "../stores";
import type { SqliteDb } from "./client";
import { mapConstraint } from "./errors";
import { credentials, modelAliases, modelRates, models, providers, revisions, settings } from "./schema";

type Tx = Parameters<Parameters<SqliteDb["transaction"]>[0]>[0];

const CATALOG = "catalog";

/** Bumps the catalog revision inside the caller's transaction. */
function bump(tx: Tx): void {
  tx.insert(revisions)
    .values({ name: CATALOG, value: 1 })
    .onConflictDoUpdate({ target: revisions.name, set: { value: sql`${revisions.value} + 1` } })
    .run();
}

function toCredential(row: typeof credentials.$inferSelect): CredentialRecord {
  const { keyFingerprint: _, updatedAt: __, ...rest } = row;
  return rest;
}

function toModel(row: typeof models.$inferSelect): ModelRecord {
  return row;
}

function toProvider(row: typeof providers.$inferSelect): ProviderRecord {
  return row;
}

/** Builds the CatalogStore over a drizzle handle and its raw connection (for the cached revision check). */
export function createSqliteCatalogStore(db: SqliteDb, sqlite: Database): CatalogStore {
  const immediate = { behavior: "immediate" } as const;
  const readRevision = sqlite.query<{ value: number }, [string]>("SELECT value FROM revisions WHERE name = ?");
  return {
    async revision() {
      return readRevision.get(CATALOG)?.value ?? 0;
    },

    async snapshot() {
      return db.transaction((tx) => ({
        revision:
          tx.select({ value: revisions.value }).from(revisions).where(eq(revisions.name, CATALOG)).get()?.value ?? 0,
        providers: tx.select().from(providers).orderBy(asc(providers.name)).all().map(toProvider),
        credentials: tx
          .select()
          .from(credentials)
          .orderBy(asc(credentials.createdAt), asc(credentials.id))
          .all()
          .map(toCredential),
        models: tx.select().from(models).orderBy(asc(models.model)).all().map(toModel),
        aliases: tx.select({ alias: modelAliases.alias, target: modelAliases.target }).from(modelAliases).all(),
        settings: Object.fromEntries(
          tx
            .select()
            .from(settings)
            .all()
            .map((row) => [row.key, JSON.parse(row.value) as unknown]),
        ),
      }));
    },

    async setProvider(input) {
      return db.transaction((tx) => {
        const existing = tx.select().from(providers).where(eq(providers.name, input.name)).get();
        const provider = existing
          ? tx
              .update(providers)
              .set({
                type: input.type,
                baseUrl: input.baseUrl,
                ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
                updatedAt: input.at,
              })
              .where(eq(providers.id, existing.id))
              .returning()
              .get()
          : tx
              .insert(providers)
              .values({
                id: input.newId,
                name: input.name,
                type: input.type,
                baseUrl: input.baseUrl,
                enabled: input.enabled ?? true,
                createdAt: input.at,
                updatedAt: input.at,
              })
              .returning()
              .get();
        let credentialId: string | undefined;
        let credentialAdded = false;
        if (input.credential) {
          const same = tx
            .select({ id: credentials.id })
            .from(credentials)
            .where(
              and(
                eq(credentials.providerId, provider.id),
                eq(credentials.keyFingerprint, input.credential.fingerprint),
              ),
            )
            .get();
          if (same) {
            credentialId = same.id;
            if (input.credential.weight !== undefined) {
              tx.update(credentials)
                .set({ weight: input.credential.weight, updatedAt: input.at })
                .where(eq(credentials.id, same.id))
                .run();
            }
          } else {
            credentialId = input.credential.newId;
            credentialAdded = true;
            tx.insert(credentials)
              .values({
                id: input.credential.newId,
                providerId: provider.id,
                keyCiphertext: input.credential.ciphertext,
                keyFingerprint: input.credential.fingerprint,
                hint: input.credential.hint,
                weight: input.credential.weight ?? 100,
                enabled: true,
                createdAt: input.at,
                updatedAt: input.at,
              })
              .run();
          }
        }
        bump(tx);
        return { provider: toProvider(provider), created: !existing, credentialId, credentialAdded };
      }, immediate);
    },

    async updateCredential(input) {
      return db.transaction((tx) => {
        const row = tx
          .update(credentials)
          .set({
            ...(input.weight !== undefined ? { weight: input.weight } : {}),
            ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
            updatedAt: input.at,
          })
          .where(eq(credentials.id, input.id))
          .returning()
          .get();
        if (row) bump(tx);
        return row ? toCredential(row) : null;
      }, immediate);
    },

    async removeCredential(id) {
      return db.transaction((tx) => {
        const removed = tx.delete(credentials).where(eq(credentials.id, id)).returning({ id: credentials.id }).get();
        if (removed) bump(tx);
        return Boolean(removed);
      }, immediate);
    },

    async setModel(input) {
      return db.transaction((tx) => {
        const existing = tx
          .select()
          .from(models)
          .where(and(eq(models.providerId, input.providerId), eq(models.model, input.model)))
          .get();
        const fields = {
          ...(input.type !== undefined ? { type: input.type } : {}),
          ...(input.inputRate !== undefined ? { inputRate: input.inputRate } : {}),
          ...(input.outputRate !== undefined ? { outputRate: input.outputRate } : {}),
          ...(input.cachedInputRate !== undefined ? { cachedInputRate: input.cachedInputRate } : {}),
          ...(input.maxOutputTokens !== undefined ? { maxOutputTokens: input.maxOutputTokens } : {}),
          ...(input.fallbackModel !== undefined ? { fallbackModel: input.fallbackModel } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        };
        const row = existing
          ? tx
              .update(models)
              .set({ ...fields, updatedAt: input.at })
              .where(eq(models.id, existing.id))
              .returning()
              .get()
          : mapConstraint(
              () =>
                tx
                  .insert(models)
                  .values({
                    id: input.newId,
                    providerId: input.providerId,
                    model: input.model,
                    type: "chat",
                    inputRate: 0,
                    outputRate: 0,
                    cachedInputRate: null,
                    maxOutputTokens: null,
                    fallbackModel: null,
                    enabled: true,
                    ...fields,
                    createdAt: input.at,
                    updatedAt: input.at,
                  })
                  .returning()
                  .get(),
              "that model already exists",
            );
        const ratesChanged =
          !existing ||
          existing.inputRate !== row.inputRate ||
          existing.outputRate !== row.outputRate ||
          existing.cachedInputRate !== row.cachedInputRate;
        if (ratesChanged) {
          tx.insert(modelRates)
            .values({
              id: input.newRateId,
              modelId: row.id,
              inputRate: row.inputRate,
              outputRate: row.outputRate,
              cachedInputRate: row.cachedInputRate,
              effectiveFrom: input.at,
            })
            .run();
        }
        bump(tx);
        return { model: toModel(row), created: !existing };
      }, immediate);
    },

    async rateHistory(modelId) {
      return db
        .select({
          inputRate: modelRates.inputRate,
          outputRate: modelRates.outputRate,
          cachedInputRate: modelRates.cachedInputRate,
          effectiveFrom: modelRates.effectiveFrom,
        })
        .from(modelRates)
        .where(eq(modelRates.modelId, modelId))
        .orderBy(asc(modelRates.effectiveFrom), asc(modelRates.id))
        .all();
    },

    async setAlias(alias, target, at) {
      db.transaction((tx) => {
        if (target === null) tx.delete(modelAliases).where(eq(modelAliases.alias, alias)).run();
        else {
          tx.insert(modelAliases)
            .values({ alias, target, createdAt: at })
            .onConflictDoUpdate({ target: modelAliases.alias, set: { target } })
            .run();
        }
        bump(tx);
      }, immediate);
    },

    async setSetting(key, value, at) {
      db.transaction((tx) => {
        tx.insert(settings)
          .values({ key, value: JSON.stringify(value), updatedAt: at })
          .onConflictDoUpdate({ target: settings.key, set: { value: JSON.stringify(value), updatedAt: at } })
          .run();
        bump(tx);
      }, immediate);
    },

    async recordCredentialHealth(updates) {
      if (!updates.length) return;
      db.transaction((tx) => {
        for (const update of updates) {
          tx.update(credentials)
            .set({
              cooldownUntil: update.cooldownUntil,
              invalidReason: update.invalidReason,
              consecutiveFailures: update.consecutiveFailures,
              ...(update.lastError !== undefined ? { lastError: update.lastError } : {}),
              ...(update.lastErrorAt !== undefined ? { lastErrorAt: update.lastErrorAt } : {}),
            })
            .where(eq(credentials.id, update.id))
            .run();
        }
      }, immediate);
    },

    async addCredentialCounters(deltas) {
      if (!deltas.length) return;
      db.transaction((tx) => {
        for (const delta of deltas) {
          tx.update(credentials)
            .set({
              requests: sql`${credentials.requests} + ${delta.requests}`,
              errors: sql`${credentials.errors} + ${delta.errors}`,
              lastUsedAt: sql`max(coalesce(${credentials.lastUsedAt}, 0), ${delta.lastUsedAt})`,
            })
            .where(eq(credentials.id, delta.id))
            .run();
        }
      }, immediate);
    },
  };
}

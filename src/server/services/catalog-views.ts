/** @module How the catalog is shown to operators: credentials masked, rates as decimal strings, health in words. */
import type { CatalogSnapshot, CredentialRecord, ModelRecord } from "../../db/stores";
import type { CredentialView } from "../../shared/api";
import { formatRate } from "../../shared/money";

const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);

/** A credential as an operator sees it: the hint only, its health and counters. */
export function describeCredential(credential: CredentialRecord, at: number): CredentialView {
  const status = !credential.enabled
    ? "disabled"
    : credential.invalidReason
      ? "invalid"
      : (credential.cooldownUntil ?? 0) > at
        ? "cooling"
        : "active";
  return {
    id: credential.id,
    hint: credential.hint,
    weight: credential.weight,
    enabled: credential.enabled,
    status,
    invalidReason: credential.invalidReason,
    cooldownUntil: iso(credential.cooldownUntil),
    requests: credential.requests,
    errors: credential.errors,
    lastError: credential.lastError,
    lastErrorAt: iso(credential.lastErrorAt),
    lastUsedAt: iso(credential.lastUsedAt),
    createdAt: iso(credential.createdAt),
  };
}

/** Every provider with its credentials, for the admin API. */
export function describeProviders(snapshot: CatalogSnapshot, at: number) {
  return snapshot.providers.map((provider) => ({
    id: provider.id,
    name: provider.name,
    type: provider.type,
    baseUrl: provider.baseUrl,
    enabled: provider.enabled,
    credentials: snapshot.credentials.filter((c) => c.providerId === provider.id).map((c) => describeCredential(c, at)),
  }));
}

/** A model with its rates in credits per token. */
export function describeModel(model: ModelRecord, providerName: string) {
  return {
    id: `${providerName}/${model.model}`,
    type: model.type,
    inputRate: formatRate(model.inputRate),
    outputRate: formatRate(model.outputRate),
    cachedInputRate: model.cachedInputRate === null ? null : formatRate(model.cachedInputRate),
    maxOutputTokens: model.maxOutputTokens,
    fallbackModel: model.fallbackModel,
    enabled: model.enabled,
    updatedAt: iso(model.updatedAt),
  };
}

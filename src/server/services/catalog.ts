/** @module The model catalog: providers, credentials, models, rates and aliases behind a revision-checked cache. */
import { ulid } from "ulid";
import type { CatalogSnapshot, CredentialRecord, ModelRecord, ProviderRecord, Stores } from "../../db/stores";
import { type AppError, invalidRequest, notFound } from "../../shared/errors";
import { parseRate } from "../../shared/money";
import type { ProviderType } from "../providers/types";
import { maskSecret, type Secrets } from "./secrets";

/** Each provider type's official base URL, what its SDK takes as baseURL. */
export const DEFAULT_BASE_URLS: Record<ProviderType, string> = {
  openai: "https://api.openai.com/v1",
  "openai-compatible": "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
  gemini: "https://generativelanguage.googleapis.com",
};

const PROVIDER_TYPES = Object.keys(DEFAULT_BASE_URLS) as ProviderType[];
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SETTING_DEFAULT_PROVIDER = "gateway.defaultProvider";
const SETTING_CREDITS = "credits.enabled";
const SETTING_STORE_CONTENT = "audit.storeContent";

/** Vendor prefixes the AIGNE clients send, mapped to the provider type that serves them (aigne-hub-wire §6.4). */
const VENDOR_TYPES: Record<string, ProviderType> = {
  openai: "openai",
  anthropic: "anthropic",
  google: "gemini",
  gemini: "gemini",
  deepseek: "openai-compatible",
  xai: "openai-compatible",
  openrouter: "openai-compatible",
  ollama: "openai-compatible",
  doubao: "openai-compatible",
  poe: "openai-compatible",
};

/** Bare model names routed by pattern, as the original hub does. */
const BARE_PATTERNS: [RegExp, ProviderType][] = [
  [/^(gpt-|o1|o3|o4|dall-e|text-embedding|sora|chatgpt-)/, "openai"],
  [/^claude/, "anthropic"],
  [/^(gemini|imagen|veo)/, "gemini"],
];

/** A credential ready to use: decrypted once per catalog revision. */
export interface UsableCredential extends CredentialRecord {
  apiKey: string;
}

/** One way to serve a requested model: a provider, the upstream model id and its catalog row if any. */
export interface Candidate {
  /** `provider/model` as served and billed. */
  id: string;
  provider: ProviderRecord;
  upstreamModel: string;
  model: ModelRecord | null;
  credentials: UsableCredential[];
}

/** The catalog at one revision, indexed for routing. */
export interface CatalogView {
  revision: number;
  providers: ProviderRecord[];
  providerByName: Map<string, ProviderRecord>;
  credentialsByProvider: Map<string, UsableCredential[]>;
  modelByKey: Map<string, ModelRecord>;
  models: ModelRecord[];
  aliases: Map<string, string>;
  creditsEnabled: boolean;
  /** Whether calls store their request and output (`audit.storeContent`, default off). */
  storeContent: boolean;
  defaultProvider: string | null;
  settings: Record<string, unknown>;
}

/** Settings the environment pins; the stored setting is then ignored. */
interface SettingOverrides {
  credits?: boolean;
  storeContent?: boolean;
}

function indexSnapshot(snapshot: CatalogSnapshot, secrets: Secrets, overrides: SettingOverrides): CatalogView {
  const credentialsByProvider = new Map<string, UsableCredential[]>();
  for (const credential of snapshot.credentials) {
    const list = credentialsByProvider.get(credential.providerId) ?? [];
    list.push({ ...credential, apiKey: secrets.decrypt(credential.keyCiphertext) });
    credentialsByProvider.set(credential.providerId, list);
  }
  const credits = snapshot.settings[SETTING_CREDITS];
  const defaultProvider = snapshot.settings[SETTING_DEFAULT_PROVIDER];
  return {
    revision: snapshot.revision,
    providers: snapshot.providers,
    providerByName: new Map(snapshot.providers.map((p) => [p.name, p])),
    credentialsByProvider,
    modelByKey: new Map(snapshot.models.map((m) => [`${m.providerId}\u0000${m.model}`, m])),
    models: snapshot.models,
    aliases: new Map(snapshot.aliases.map((a) => [a.alias, a.target])),
    creditsEnabled: overrides.credits ?? (typeof credits === "boolean" ? credits : true),
    storeContent: overrides.storeContent ?? snapshot.settings[SETTING_STORE_CONTENT] === true,
    defaultProvider: typeof defaultProvider === "string" ? defaultProvider : null,
    settings: snapshot.settings,
  };
}

/** Splits `provider/model` or `provider:model` at the first separator; a bare name has no prefix. */
export function splitModelName(name: string): { prefix?: string; rest: string } {
  const match = /^([^/:]+)[/:](.+)$/.exec(name);
  return match ? { prefix: match[1]!.toLowerCase(), rest: match[2]! } : { rest: name };
}

/** Builds the model-not-found error every surface renders in its own shape. */
export function modelNotFound(name: string): AppError {
  return notFound(
    `Model "${name}" is not available on this hub. List the models with GET /v1/models or /api/ai/models; operators enable models with "aigne-hub admin model set".`,
    "model_not_found",
  );
}

/** The catalog service; the cache re-checks the stored revision at most every `refreshMs`. */
export function createCatalog(deps: {
  stores: Stores;
  secrets: Secrets;
  creditsOverride?: boolean;
  storeContentOverride?: boolean;
  now?: () => number;
  refreshMs?: number;
}) {
  const { stores, secrets, now = Date.now, refreshMs = 500 } = deps;
  const overrides = { credits: deps.creditsOverride, storeContent: deps.storeContentOverride };
  let current: CatalogView | undefined;
  let checkedAt = -Infinity;
  let pending: Promise<CatalogView> | undefined;

  async function reload(): Promise<CatalogView> {
    const revision = await stores.catalog.revision();
    if (!current || revision !== current.revision) {
      current = indexSnapshot(await stores.catalog.snapshot(), secrets, overrides);
    }
    checkedAt = now();
    return current;
  }

  /** The current view; at most one revision check per interval, shared by concurrent callers. */
  function view(): Promise<CatalogView> {
    if (current && now() - checkedAt < refreshMs) return Promise.resolve(current);
    pending ??= reload().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  function candidatesFor(view: CatalogView, provider: ProviderRecord, upstreamModel: string): Candidate {
    return {
      id: `${provider.name}/${upstreamModel}`,
      provider,
      upstreamModel,
      model: view.modelByKey.get(`${provider.id}\u0000${upstreamModel}`) ?? null,
      credentials: view.credentialsByProvider.get(provider.id) ?? [],
    };
  }

  /**
   * Resolves a requested model to the candidates that may serve it, in preference order: aliases first, then a
   * configured provider name, a vendor prefix, a bare-name pattern. With credits on, only priced models qualify.
   */
  async function resolve(requested: string, type: ModelRecord["type"] = "chat"): Promise<Candidate[]> {
    const v = await view();
    const name = v.aliases.get(requested) ?? requested.trim();
    const { prefix, rest } = splitModelName(name);
    const enabled = v.providers.filter((p) => p.enabled);
    let found: Candidate[] = [];
    const named = prefix ? v.providerByName.get(prefix) : undefined;
    if (named?.enabled) found = [candidatesFor(v, named, rest)];
    else if (prefix && VENDOR_TYPES[prefix]) {
      found = enabled.filter((p) => p.type === VENDOR_TYPES[prefix]).map((p) => candidatesFor(v, p, rest));
    } else if (!prefix) {
      const byDefault = v.defaultProvider ? v.providerByName.get(v.defaultProvider) : undefined;
      const patternType = BARE_PATTERNS.find(([pattern]) => pattern.test(rest))?.[1];
      const listsModel = (p: ProviderRecord) => v.modelByKey.has(`${p.id}\u0000${rest}`);
      const ordered = new Set([
        ...(byDefault?.enabled ? [byDefault] : []),
        ...enabled.filter((p) => p.type === patternType),
        ...enabled.filter((p) => p.type === "openai-compatible" && listsModel(p)),
      ]);
      found = [...ordered].map((p) => candidatesFor(v, p, rest));
    }
    const served = found.filter((c) => (c.model ? c.model.enabled && c.model.type === type : !v.creditsEnabled));
    if (!served.length) throw modelNotFound(requested);
    return served;
  }

  /** The candidates of a model's configured fallback, or none. */
  async function fallbackFor(candidate: Candidate): Promise<Candidate[]> {
    const target = candidate.model?.fallbackModel;
    if (!target) return [];
    return resolve(target, candidate.model?.type).catch(() => []);
  }

  /** Creates or updates a provider; with an API key, adds a credential (the same key again updates its weight). */
  async function setProvider(input: {
    name: string;
    type: string;
    baseUrl?: string;
    apiKey?: string;
    weight?: number;
    enabled?: boolean;
  }) {
    const name = input.name.trim().toLowerCase();
    if (!NAME.test(name)) {
      throw invalidRequest(
        `invalid provider name "${input.name}": use lowercase letters, digits, ".", "_" or "-"`,
        "name",
      );
    }
    if (!PROVIDER_TYPES.includes(input.type as ProviderType)) {
      throw invalidRequest(`invalid provider type "${input.type}": expected ${PROVIDER_TYPES.join(", ")}`, "type");
    }
    const type = input.type as ProviderType;
    const baseUrl = normaliseBaseUrl(input.baseUrl ?? DEFAULT_BASE_URLS[type]);
    if (input.weight !== undefined && (!Number.isInteger(input.weight) || input.weight < 1 || input.weight > 10_000)) {
      throw invalidRequest("weight must be a whole number from 1 to 10000", "weight");
    }
    const apiKey = input.apiKey?.trim();
    if (input.apiKey !== undefined && (!apiKey || apiKey.length > 4096 || /\s/.test(apiKey))) {
      throw invalidRequest("api key must be non-empty text without spaces", "apiKey");
    }
    const result = await stores.catalog.setProvider({
      newId: ulid(),
      name,
      type,
      baseUrl,
      enabled: input.enabled,
      credential: apiKey
        ? {
            newId: ulid(),
            ciphertext: secrets.encrypt(apiKey),
            fingerprint: secrets.fingerprint(apiKey),
            hint: maskSecret(apiKey),
            weight: input.weight,
          }
        : undefined,
      at: now(),
    });
    checkedAt = -Infinity;
    return result;
  }

  /** Creates or updates `provider/model` with rates given as decimal credits per token. */
  async function setModel(input: {
    model: string;
    type?: string;
    inputRate?: string;
    outputRate?: string;
    cachedInputRate?: string | null;
    maxOutputTokens?: number | null;
    fallbackModel?: string | null;
    enabled?: boolean;
  }) {
    const { prefix, rest } = splitModelName(input.model.trim());
    if (!prefix || !rest) throw invalidRequest(`model "${input.model}" must be written provider/model`, "model");
    const v = await view();
    const provider = v.providerByName.get(prefix);
    if (!provider) throw notFound(`no provider named "${prefix}"; add it with "aigne-hub admin provider set"`);
    if (input.type !== undefined && !["chat", "embedding", "image"].includes(input.type)) {
      throw invalidRequest(`invalid model type "${input.type}": expected chat, embedding or image`, "type");
    }
    const max = input.maxOutputTokens;
    if (max !== undefined && max !== null && (!Number.isInteger(max) || max < 1 || max > 10_000_000)) {
      throw invalidRequest("max output tokens must be a positive whole number", "maxOutputTokens");
    }
    if (input.fallbackModel && !splitModelName(input.fallbackModel).prefix) {
      throw invalidRequest("fallback model must be written provider/model", "fallbackModel");
    }
    const result = await stores.catalog.setModel({
      newId: ulid(),
      newRateId: ulid(),
      providerId: provider.id,
      model: rest,
      type: input.type as ModelRecord["type"] | undefined,
      inputRate: input.inputRate === undefined ? undefined : parseRate(input.inputRate, "input rate"),
      outputRate: input.outputRate === undefined ? undefined : parseRate(input.outputRate, "output rate"),
      cachedInputRate:
        input.cachedInputRate === undefined || input.cachedInputRate === null
          ? input.cachedInputRate
          : parseRate(input.cachedInputRate, "cached input rate"),
      maxOutputTokens: max,
      fallbackModel: input.fallbackModel,
      enabled: input.enabled,
      at: now(),
    });
    checkedAt = -Infinity;
    return { ...result, id: `${provider.name}/${rest}` };
  }

  /** Points an alias at a `provider/model` (null removes it). */
  async function setAlias(alias: string, target: string | null) {
    if (!alias.trim() || alias.length > 128) throw invalidRequest("alias must have 1 to 128 characters", "alias");
    if (target !== null && !splitModelName(target).prefix) {
      throw invalidRequest("alias target must be written provider/model", "target");
    }
    await stores.catalog.setAlias(alias.trim(), target, now());
    checkedAt = -Infinity;
  }

  /** Sets an operator setting (credits on/off, default provider, storing call contents). */
  async function setSetting(
    key:
      | "credits.enabled"
      | "credits.paymentLink"
      | "credits.lenient"
      | "gateway.defaultProvider"
      | "audit.storeContent",
    value: unknown,
  ) {
    await stores.catalog.setSetting(key, value, now());
    checkedAt = -Infinity;
  }

  /** Changes a credential's weight or enabled flag. */
  async function updateCredential(input: { id: string; weight?: number; enabled?: boolean }) {
    if (input.weight !== undefined && (!Number.isInteger(input.weight) || input.weight < 1 || input.weight > 10_000)) {
      throw invalidRequest("weight must be a whole number from 1 to 10000", "weight");
    }
    const updated = await stores.catalog.updateCredential({ ...input, at: now() });
    if (!updated) throw notFound("no credential with that id");
    checkedAt = -Infinity;
    return updated;
  }

  /** Deletes a credential. */
  async function removeCredential(id: string) {
    if (!(await stores.catalog.removeCredential(id, now()))) throw notFound("no credential with that id");
    checkedAt = -Infinity;
  }

  return {
    view,
    resolve,
    fallbackFor,
    setProvider,
    setModel,
    setAlias,
    setSetting,
    updateCredential,
    removeCredential,
  };
}

function normaliseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalidRequest(`base URL "${value}" is not a URL`, "baseUrl");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw invalidRequest("base URL must be http(s)", "baseUrl");
  if (url.username || url.password) throw invalidRequest("base URL must not carry credentials", "baseUrl");
  return url.toString().replace(/\/+$/, "");
}

/** The catalog service's type. */
export type Catalog = ReturnType<typeof createCatalog>;

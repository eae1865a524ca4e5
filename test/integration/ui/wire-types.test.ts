/**
 * @module Keeps the types the web pages read (src/shared/api.ts) in step with what the routes render: the pages may
 * not import the server, so `tsc` checks here that each server view is assignable to its shared twin.
 */
import { describe, expect, test } from "bun:test";
import type { toAigneModelList } from "../../../src/server/routes/aigne/translate";
import type { publicKey, publicUser } from "../../../src/server/services/accounts";
import type { publicCall } from "../../../src/server/services/call-views";
import type { describeCredential, describeModel, describeProviders } from "../../../src/server/services/catalog-views";
import type { describeAccount, publicEntry } from "../../../src/server/services/credits";
import type {
  AiModelInfo,
  CallView,
  CredentialView,
  CreditAccountView,
  HubKeyView,
  LedgerEntryView,
  ModelView,
  ProviderView,
  PublicUser,
} from "../../../src/shared/api";

/** `true` only when `Server` fits `Shared`; a drift turns the constant below into a type error. */
type Fits<Server, Shared> = [Server] extends [Shared] ? true : false;

const fits: Record<string, true> = {
  call: true satisfies Fits<ReturnType<typeof publicCall>, CallView>,
  key: true satisfies Fits<ReturnType<typeof publicKey>, HubKeyView>,
  user: true satisfies Fits<ReturnType<typeof publicUser>, PublicUser>,
  account: true satisfies Fits<ReturnType<typeof describeAccount>, CreditAccountView>,
  entry: true satisfies Fits<ReturnType<typeof publicEntry>, LedgerEntryView>,
  credential: true satisfies Fits<ReturnType<typeof describeCredential>, CredentialView>,
  provider: true satisfies Fits<ReturnType<typeof describeProviders>[number], ProviderView>,
  model: true satisfies Fits<ReturnType<typeof describeModel>, ModelView>,
  aiModel: true satisfies Fits<ReturnType<typeof toAigneModelList>[number], AiModelInfo>,
};

describe("the shared wire types of the web pages", () => {
  test("every server view fits the type its page reads (checked by tsc; this only lists them)", () => {
    expect(Object.keys(fits)).toHaveLength(9);
  });
});

/** @module `admin key create|list|revoke`: hub API keys of a user. */
import { requiredFlag, stringFlag } from "../../shared/args";
import { publicKey } from "../services/accounts";
import type { AdminCommand } from ".";

/** Mints a key for a user and prints it, alone, on stdout. */
export const keyCreate: AdminCommand = {
  words: ["key", "create"],
  summary: "mint a hub API key for a user; prints the key alone (it is shown only once)",
  flags: {
    email: { type: "string", value: "E", help: "the user's email" },
    name: { type: "string", value: "N", help: "a name to recognise the key by" },
  },
  examples: ["KEY=$(aigne-hub admin key create --email ann@example.com --name laptop)"],
  async run({ flags, services, print }) {
    const user = await services.accounts.requireUserByEmail(requiredFlag(flags, "email"));
    const issued = await services.accounts.issueHubKey({
      userId: user.id,
      name: stringFlag(flags, "name"),
      source: "admin",
    });
    print(issued.key);
  },
};

/** Lists a user's keys as JSON lines (hints only, never keys). */
export const keyList: AdminCommand = {
  words: ["key", "list"],
  summary: "list a user's hub API keys, one JSON object per line (hints, never the keys)",
  flags: { email: { type: "string", value: "E", help: "the user's email" } },
  examples: ["aigne-hub admin key list --email ann@example.com"],
  async run({ flags, services, print }) {
    const user = await services.accounts.requireUserByEmail(requiredFlag(flags, "email"));
    for (const key of await services.accounts.listHubKeys(user.id)) print(JSON.stringify(publicKey(key)));
  },
};

/** Revokes a key by id; prints the revoked key's id. */
export const keyRevoke: AdminCommand = {
  words: ["key", "revoke"],
  summary: "revoke a hub API key by its id (from key list)",
  flags: { id: { type: "string", value: "ID", help: "the key's id" } },
  examples: ["aigne-hub admin key revoke --id 01J0000000000000000000000"],
  async run({ flags, services, print }) {
    const revoked = await services.accounts.revokeHubKey({ id: requiredFlag(flags, "id") });
    print(revoked.id);
  },
};

/** @module `admin user upsert`: creates a user or updates its password, name or role. */
import { requiredFlag, stringFlag } from "../../shared/args";
import { UsageError } from "../../shared/errors";
import type { AdminCommand } from ".";

/** Creates or updates a user by email; prints the user as one JSON line. */
export const userUpsert: AdminCommand = {
  words: ["user", "upsert"],
  summary: "create a user, or update the password, name or role of the one with that email",
  flags: {
    email: { type: "string", value: "E", help: "the user's email (case-insensitive, unique)" },
    password: { type: "string", value: "P", help: "password, at least 8 characters (required for a new user)" },
    name: { type: "string", value: "N", help: "display name (default: the email's local part)" },
    role: { type: "string", value: "admin|user", help: "role (default user for a new user)" },
  },
  examples: [
    "aigne-hub admin user upsert --email admin@example.com --password 's3cret-pass' --role admin",
    "aigne-hub admin user upsert --email ann@example.com --name 'Ann Lee'",
  ],
  async run({ flags, services, print }) {
    const role = stringFlag(flags, "role");
    if (role !== undefined && role !== "admin" && role !== "user") {
      throw new UsageError(`--role must be admin or user, not "${role}"`);
    }
    const { user, created } = await services.accounts.upsertUser({
      email: requiredFlag(flags, "email"),
      password: stringFlag(flags, "password"),
      name: stringFlag(flags, "name"),
      role,
    });
    print(JSON.stringify({ id: user.id, did: user.did, email: user.email, name: user.name, role: user.role, created }));
  },
};

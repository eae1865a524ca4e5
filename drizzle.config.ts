/** @module drizzle-kit settings: generates the SQLite migrations embedded in the binary. */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/sqlite/*schema.ts",
  out: "./drizzle/sqlite",
});

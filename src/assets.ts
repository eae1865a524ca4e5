/** @module Where files shipped with --asset live: beside the bundle when compiled, in the repo otherwise. */
import { join } from "node:path";

const here = import.meta.dir;
const compiled = Bun.isStandaloneExecutable;

/** The drizzle migrations folder for SQLite. */
export const MIGRATIONS_DIR = compiled ? join(here, "drizzle", "sqlite") : join(here, "..", "drizzle", "sqlite");
/** Static files of the web UI that no page references (robots.txt, icons). */
export const UI_PUBLIC_DIR = compiled ? join(here, "ui-public") : join(here, "ui", "ui-public");

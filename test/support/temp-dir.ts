/** @module Temporary directories that tests create and remove. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temporary directory and the way to delete it. */
export type TempDir = ReturnType<typeof tempDir>;

/** Creates a fresh empty directory; `remove()` deletes it. */
export function tempDir(prefix = "aigne-hub-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

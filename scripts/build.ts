/**
 * @module `npm run build`: compiles dist/aigne-hub with drizzle/ and the UI embedded, smoke-runs it, then moves it
 * into place atomically (so a running copy or a concurrent build never sees a half-written file).
 */
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packageJson from "../package.json";

const root = join(import.meta.dir, "..");
const target = join(root, "dist", "aigne-hub");
const outfile = `${target}.${process.pid}.tmp`;

const result = Bun.spawnSync(
  [
    process.execPath,
    "build",
    "--compile",
    "--minify",
    "--sourcemap",
    "--asset",
    "./drizzle",
    "--asset",
    "./src/ui/ui-public",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    "--define",
    `AIGNE_HUB_VERSION=${JSON.stringify(packageJson.version)}`,
    "src/main.ts",
    "--outfile",
    outfile,
  ],
  { cwd: root, stdout: "inherit", stderr: "inherit" },
);
if (result.exitCode !== 0) {
  console.error(`build failed with exit code ${result.exitCode}`);
  process.exit(1);
}
for (const glob of new Bun.Glob("dist/*.map").scanSync(root)) rmSync(join(root, glob), { force: true });

// Smoke run from an empty directory, so nothing beside the binary can make it pass.
const empty = mkdtempSync(join(tmpdir(), "aigne-hub-smoke-"));
const smoke = Bun.spawnSync([outfile, "--version"], { cwd: empty, stdout: "pipe", stderr: "pipe" });
rmSync(empty, { recursive: true, force: true });
const printed = smoke.stdout.toString().trim();
if (smoke.exitCode !== 0 || printed !== `aigne-hub ${packageJson.version}`) {
  rmSync(outfile, { force: true });
  console.error(
    `smoke run failed: exit ${smoke.exitCode}, stdout "${printed}", stderr "${smoke.stderr.toString().trim()}"`,
  );
  process.exit(1);
}
renameSync(outfile, target);
console.log(`built ${target} (${printed})`);

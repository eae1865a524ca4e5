/**
 * @module `npm run build`: compiles dist/aigne-hub with drizzle/ and the UI embedded, records which bytecode a serving
 * start uses and compiles again laid out by it, smoke-runs the binary, then moves it into place atomically (so a
 * running copy or a concurrent build never sees a half-written file).
 */
import { existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packageJson from "../package.json";

const root = join(import.meta.dir, "..");
const target = join(root, "dist", "aigne-hub");
const outfile = `${target}.${process.pid}.tmp`;
/** Requests the recorded start answers: the probes, an unauthenticated API call and an unknown path. */
const PROFILED_PATHS = ["/healthz", "/readyz", "/api/user/info", "/no-such-page"];
const PROFILE_TIMEOUT_MS = 20_000;

/**
 * Compiles src/main.ts to `file`. --splitting keeps the client half and the Stripe SDK in chunks `serve` never loads;
 * --bytecode (ESM needs --format=esm) moves parsing to build time; the JIT starts reluctant so run-once start-up code
 * stays in the interpreter until serve.ts sets the normal policy (at 16 none of it reaches the optimizing tier, which
 * alone holds about a megabyte); `order` lays out the bytecode a start uses first.
 */
function compile(file: string, order?: string): void {
  const result = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "--compile",
      "--minify",
      "--sourcemap",
      "--splitting",
      "--bytecode",
      "--format=esm",
      "--compile-jit-policy=16",
      ...(order ? [`--bytecode-order=${order}`] : []),
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
      file,
    ],
    { cwd: root, stdout: "inherit", stderr: "inherit" },
  );
  if (result.exitCode !== 0) throw new Error(`build failed with exit code ${result.exitCode}`);
}

/** Reads the child's stdout until the listening line; returns the port. */
async function listeningPort(stdout: ReadableStream<Uint8Array>): Promise<number> {
  let text = "";
  for await (const chunk of stdout) {
    text += new TextDecoder().decode(chunk);
    const match = /listening on \S+:(\d+)\n/.exec(text);
    if (match) return Number(match[1]);
  }
  throw new Error(`exited before listening; stdout: ${JSON.stringify(text)}`);
}

/**
 * Runs `binary serve` on a fresh data dir from an empty directory with a clean environment (an operator's AIGNE_HUB_*
 * settings must not point it at a real database), answers PROFILED_PATHS, stops it with SIGTERM and returns the
 * profile Bun wrote on exit. Doubles as a smoke run of `serve`.
 */
async function recordServeProfile(binary: string, dir: string): Promise<string> {
  const profile = join(dir, "serve.order");
  const server = Bun.spawn([binary, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", join(dir, "data")], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, BUN_BYTECODE_ORDER_OUT: profile },
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = new Response(server.stderr).text();
  const timer = setTimeout(() => server.kill("SIGKILL"), PROFILE_TIMEOUT_MS);
  try {
    const port = await listeningPort(server.stdout);
    for (const path of PROFILED_PATHS) await (await fetch(`http://127.0.0.1:${port}${path}`)).arrayBuffer();
    server.kill("SIGTERM");
    const code = await server.exited;
    if (code !== 0) throw new Error(`exit code ${code}`);
    if (!existsSync(profile)) throw new Error("the binary wrote no profile");
    return profile;
  } catch (error) {
    server.kill("SIGKILL");
    throw new Error(`recording a serve profile failed: ${(error as Error).message}\n${(await stderr).trim()}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Compiles twice (the second time laid out by a recorded start) and smoke-runs the result; returns its version line. */
async function build(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), "aigne-hub-build-"));
  try {
    const unordered = join(work, "aigne-hub");
    compile(unordered);
    compile(outfile, await recordServeProfile(unordered, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
    for (const glob of new Bun.Glob("dist/*.map").scanSync(root)) rmSync(join(root, glob), { force: true });
  }
  // Smoke run from an empty directory, so nothing beside the binary can make it pass.
  const empty = mkdtempSync(join(tmpdir(), "aigne-hub-smoke-"));
  const smoke = Bun.spawnSync([outfile, "--version"], { cwd: empty, stdout: "pipe", stderr: "pipe" });
  rmSync(empty, { recursive: true, force: true });
  const printed = smoke.stdout.toString().trim();
  if (smoke.exitCode !== 0 || printed !== `aigne-hub ${packageJson.version}`) {
    throw new Error(
      `smoke run failed: exit ${smoke.exitCode}, stdout "${printed}", stderr "${smoke.stderr.toString().trim()}"`,
    );
  }
  return printed;
}

try {
  const printed = await build();
  renameSync(outfile, target);
  console.log(`built ${target} (${printed})`);
} catch (error) {
  rmSync(outfile, { force: true });
  console.error((error as Error).message);
  process.exit(1);
}

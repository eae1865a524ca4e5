/** @module The dependency rules of architecture.md §3, checked against the source text. */
import { describe, expect, test } from "bun:test";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** Importer prefix → what it must not import (`src/…` folders and modules, or package names). */
const rules: [string, string[]][] = [
  ["src/shared/", ["src/", "elysia", "drizzle-orm", "@clack/", "bun:sqlite"]],
  ["src/db/", ["src/server/", "src/cli/", "src/ui/", "src/main", "elysia", "@clack/"]],
  ["src/server/services/", ["src/server/routes/", "src/db/sqlite/", "src/db/open", "elysia", "drizzle-orm"]],
  ["src/server/providers/", ["src/server/services/", "src/server/routes/", "src/db/", "elysia", "drizzle-orm"]],
  ["src/server/", ["src/cli/", "@clack/"]],
  ["src/cli/", ["src/server/", "src/db/", "src/ui/", "elysia", "drizzle-orm"]],
  [
    "src/ui/",
    [
      "src/server/",
      "src/db/",
      "src/cli/",
      "src/main",
      "src/config",
      "src/assets",
      "src/build-info",
      "elysia",
      "drizzle-orm",
    ],
  ],
  ["src/config.ts", ["src/server/", "src/db/", "src/cli/", "src/ui/", "elysia", "drizzle-orm", "@clack/"]],
  ["src/assets.ts", ["src/server/", "src/db/", "src/cli/", "src/ui/", "elysia", "drizzle-orm", "@clack/"]],
  ["src/build-info.ts", ["src/", "elysia", "drizzle-orm", "@clack/"]],
];

/** Importer prefix → `src/…` target it may reach only with `import type`. */
const typeOnly: [string, string][] = [
  ["src/server/services/", "src/db/"],
  ["src/ui/", "src/shared/"],
];

/** Type-only imports allowed in spite of a rule: providers translate the gateway's canonical types. */
const typeExceptions: [string, string][] = [["src/server/providers/", "src/server/services/gateway/types"]];

/** Only main.ts sees both halves, and it loads them with `await import(…)`, never statically. */
const lazyFromMain = ["src/server/", "src/cli/", "src/db/"];

/** Process state that exactly one file may touch. */
const owners: [RegExp, string, string][] = [
  [/\b(?:process|Bun)\.env\b|\bimport\.meta\.env\b/, "src/config.ts", "reads the env"],
  [/\bprocess\.argv\b/, "src/main.ts", "reads process.argv"],
  [/\bprocess\.exit\s*\(/, "src/main.ts", "calls process.exit"],
  [/\bimport\.meta\.(?:dir|dirname|path|filename)\b/, "src/assets.ts", "turns import.meta.dir into paths"],
];

/** One import found in a file. */
interface ImportRef {
  spec: string;
  typeOnly: boolean;
  dynamic: boolean;
}

/** Lists the imports and re-exports of a file, ignoring comment lines. */
export function importsOf(text: string): ImportRef[] {
  const code = text
    .split("\n")
    .filter((line) => !/^\s*(?:\/\/|\*|\/\*)/.test(line))
    .join("\n");
  const found: ImportRef[] = [];
  for (const [, type, spec] of code.matchAll(
    /^\s*(?:import|export)\s+(type\s+)?[^;()"'=]*?\bfrom\s*["']([^"']+)["']/gm,
  )) {
    found.push({ spec: spec!, typeOnly: Boolean(type), dynamic: false });
  }
  for (const [, spec] of code.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) {
    found.push({ spec: spec!, typeOnly: false, dynamic: false });
  }
  for (const [, spec] of code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) {
    found.push({ spec: spec!, typeOnly: false, dynamic: true });
  }
  return found;
}

/** Where an import points: `src/…` without extension or `/index` for relative specs, the spec itself otherwise. */
function targetOf(file: string, spec: string): string {
  if (!spec.startsWith(".")) return spec;
  return relative(ROOT, resolve(ROOT, dirname(file), spec))
    .split("\\")
    .join("/")
    .replace(/\.(?:tsx?|jsx?)$/, "")
    .replace(/\/index$/, "");
}

/** Whether a target falls under a rule entry: a `src/` folder or module, or a package and its subpaths. */
function matches(target: string, entry: string): boolean {
  if (entry.startsWith("src/")) return entry.endsWith("/") ? `${target}/`.startsWith(entry) : target === entry;
  return entry.endsWith("/") || entry.endsWith(":")
    ? target.startsWith(entry)
    : target === entry || target.startsWith(`${entry}/`);
}

/** Checks source files against the rules; returns one line per offence. */
export function findOffences(files: { path: string; text: string }[]): string[] {
  const offences: string[] = [];
  for (const { path: file, text } of files) {
    for (const ref of importsOf(text)) {
      const target = targetOf(file, ref.spec);
      const excepted = typeExceptions.some(([from, to]) => file.startsWith(from) && target === to && ref.typeOnly);
      for (const [from, banned] of rules) {
        if (!file.startsWith(from) || excepted) continue;
        const own = from.endsWith("/") && `${target}/`.startsWith(from);
        if (!own && banned.some((entry) => matches(target, entry))) offences.push(`${file} -> ${ref.spec}`);
      }
      for (const [from, to] of typeOnly) {
        if (file.startsWith(from) && `${target}/`.startsWith(to) && !ref.typeOnly) {
          offences.push(`${file} -> ${ref.spec} (only \`import type\` is allowed)`);
        }
      }
      if (file === "src/main.ts" && !ref.dynamic && lazyFromMain.some((entry) => matches(target, entry))) {
        offences.push(`${file} -> ${ref.spec} (load a half with await import)`);
      }
    }
    for (const [pattern, owner, what] of owners) {
      if (file !== owner && pattern.test(text)) offences.push(`${file} ${what} (only ${owner} may)`);
    }
  }
  return [...new Set(offences)];
}

async function sourceFiles(): Promise<{ path: string; text: string }[]> {
  const files: { path: string; text: string }[] = [];
  for await (const path of new Bun.Glob("src/**/*.{ts,tsx}").scan(ROOT)) {
    files.push({ path: path.split("\\").join("/"), text: await Bun.file(join(ROOT, path)).text() });
  }
  return files;
}

describe("the source tree", () => {
  test("it has files to check", async () => {
    const paths = (await sourceFiles()).map((f) => f.path);
    expect(paths).toContain("src/main.ts");
    expect(paths).toContain("src/config.ts");
    expect(paths.some((p) => p.startsWith("src/server/"))).toBe(true);
  });

  test("every import follows the dependency rules and only the owners touch process state", async () => {
    expect(findOffences(await sourceFiles())).toEqual([]);
  });
});

describe("the rule checker", () => {
  const offences = (path: string, text: string) => findOffences([{ path, text }]);

  test("it flags shared code that imports anything outside shared", () => {
    expect(offences("src/shared/money.ts", 'import { x } from "../server/log";')).toEqual([
      "src/shared/money.ts -> ../server/log",
    ]);
    expect(offences("src/shared/money.ts", 'import { CONFIG } from "../config";')).toHaveLength(1);
    expect(offences("src/shared/money.ts", 'import { Elysia } from "elysia";')).toHaveLength(1);
    expect(offences("src/shared/money.ts", 'import {\n  a,\n  b,\n} from "../db/stores";')).toHaveLength(1);
    expect(offences("src/shared/money.ts", 'export * from "../server/errors";')).toHaveLength(1);
    expect(
      offences("src/shared/api.ts", 'import { AppError } from "./errors";\nimport { z } from "node:util";'),
    ).toEqual([]);
  });

  test("it flags the client half importing the server half, statically or lazily", () => {
    expect(offences("src/cli/index.ts", 'import { run } from "../server/serve";')).toHaveLength(1);
    expect(offences("src/cli/commands/chat.ts", 'const m = await import("../../db/open");')).toHaveLength(1);
    expect(offences("src/cli/index.ts", 'import * as p from "@clack/prompts";')).toEqual([]);
  });

  test("it flags services reaching SQL, routes or Elysia, and value imports from the stores", () => {
    expect(offences("src/server/services/a.ts", 'import { users } from "../../db/sqlite/schema";')).toContain(
      "src/server/services/a.ts -> ../../db/sqlite/schema",
    );
    expect(offences("src/server/services/a.ts", 'import { t } from "elysia";')).toHaveLength(1);
    expect(offences("src/server/services/a.ts", 'import { eq } from "drizzle-orm";')).toHaveLength(1);
    expect(offences("src/server/services/a.ts", 'import { Stores } from "../../db/stores";')).toEqual([
      "src/server/services/a.ts -> ../../db/stores (only `import type` is allowed)",
    ]);
    expect(offences("src/server/services/a.ts", 'import type { Stores } from "../../db/stores";')).toEqual([]);
  });

  test("it lets providers import only the canonical gateway types from the services", () => {
    expect(
      offences("src/server/providers/x.ts", 'import type { ChatRequest } from "../services/gateway/types";'),
    ).toEqual([]);
    expect(
      offences("src/server/providers/x.ts", 'import { ChatRequest } from "../services/gateway/types";'),
    ).toHaveLength(1);
    expect(offences("src/server/providers/x.ts", 'import type { Ledger } from "../services/credits";')).toHaveLength(1);
  });

  test("it flags the storage layer importing the server and the server importing the CLI", () => {
    expect(offences("src/db/sqlite/keys.ts", 'import { log } from "../../server/log";')).toHaveLength(1);
    expect(offences("src/server/serve.ts", 'import { run } from "../cli";')).toHaveLength(1);
  });

  test("it lets the UI import only types from shared and nothing else of src", () => {
    expect(offences("src/ui/home.tsx", 'import type { UserInfo } from "../shared/api";')).toEqual([]);
    expect(offences("src/ui/home.tsx", 'import { formatCredits } from "../shared/money";')).toHaveLength(1);
    expect(offences("src/ui/home.tsx", 'import { createAccounts } from "../server/services/accounts";')).toHaveLength(
      1,
    );
    expect(offences("src/ui/home.tsx", 'import { render } from "preact";')).toEqual([]);
  });

  test("it flags a static import of a half in main.ts but allows the lazy one", () => {
    expect(offences("src/main.ts", 'import { run } from "./server/serve";')).toHaveLength(1);
    expect(offences("src/main.ts", 'const half = () => import("./server/serve");')).toEqual([]);
  });

  test("it flags env, argv, exit and import.meta.dir outside their owners and ignores comments", () => {
    expect(offences("src/server/deps.ts", "const port = process.env.PORT;")).toEqual([
      "src/server/deps.ts reads the env (only src/config.ts may)",
    ]);
    expect(offences("src/server/deps.ts", "const port = Bun.env.PORT;")).toHaveLength(1);
    expect(offences("src/cli/index.ts", "const args = process.argv.slice(2);")).toHaveLength(1);
    expect(offences("src/cli/index.ts", "process.exit(1);")).toHaveLength(1);
    expect(offences("src/server/serve.ts", "const here = import.meta.dir;")).toHaveLength(1);
    expect(offences("src/config.ts", "const env = { ...process.env };")).toEqual([]);
    expect(offences("src/main.ts", "process.exit(await main(process.argv.slice(2)));")).toEqual([]);
    expect(offences("src/server/serve.ts", '/**\n * import { run } from "../cli";\n */')).toEqual([]);
  });
});

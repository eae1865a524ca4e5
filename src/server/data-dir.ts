/** @module The data dir (0700) and its key files, secret.key and pepper.key (0600), made once and race-free. */
import { hkdfSync, randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerConfig } from "../config";
import { CommandError } from "../shared/errors";
import type { SecretMaterial } from "./services/secrets";

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOTDIR") return "a part of the path is not a directory";
  if (code === "EROFS") return "read-only file system";
  if (code === "ENOSPC") return "no space left on device";
  return error instanceof Error ? error.message : String(error);
}

/** Reads a key file, or creates it atomically (write aside, then link) so concurrent starts agree on one value. */
function readOrCreateKeyFile(path: string): Buffer {
  try {
    return decodeKeyFile(path, readFileSync(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const aside = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(aside, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  try {
    linkSync(aside, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(aside);
  }
  return decodeKeyFile(path, readFileSync(path, "utf8"));
}

function decodeKeyFile(path: string, text: string): Buffer {
  const bytes = Buffer.from(text.trim(), "base64url");
  if (bytes.length !== 32) throw new CommandError(`${path} is damaged: expected 32 base64url-encoded bytes`);
  return bytes;
}

/** Creates the data dir if needed, proves it writable, and loads or makes the master key and the pepper. */
export function prepareDataDir(config: Pick<ServerConfig, "dataDir" | "secret" | "pepper">): SecretMaterial {
  const { dataDir } = config;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (!statSync(dataDir).isDirectory()) throw new CommandError(`data dir ${dataDir} is not a directory`);
    const probe = join(dataDir, `.write-probe-${process.pid}`);
    writeFileSync(probe, "");
    unlinkSync(probe);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(`cannot use data dir ${dataDir}: ${reason(error)}`);
  }
  try {
    const masterKey = config.secret
      ? Buffer.from(hkdfSync("sha256", config.secret, "aigne-hub", "provider credentials", 32))
      : readOrCreateKeyFile(join(dataDir, "secret.key"));
    const pepper = config.pepper ?? readOrCreateKeyFile(join(dataDir, "pepper.key")).toString("base64url");
    return { masterKey, pepper };
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(`cannot prepare key files in ${dataDir}: ${reason(error)}`);
  }
}

/** @module Keeps a pasted or freshly created platform user key for this tab only (sessionStorage, §9), never longer. */

const KEY_NAME = "aihub_user_api_key";

/** The key this tab holds, or null (none, or storage is off). */
export function tabKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_NAME);
  } catch {
    return null;
  }
}

/** Keeps `key` for this tab, or forgets it with null. */
export function keepTabKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY_NAME, key);
    else sessionStorage.removeItem(KEY_NAME);
  } catch {
    // Not kept: the key still works until the page is left.
  }
}

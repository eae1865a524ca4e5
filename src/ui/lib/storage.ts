/** @module Remembers small choices in localStorage, which may be unavailable (private mode, policy): then nothing is kept. */

/** The remembered value, or null when there is none or storage is off. */
export function recall(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Remembers a value when storage allows it. */
export function remember(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Not remembered; the page still works for this visit.
  }
}

/** @module The pages' language: English or Chinese, remembered in localStorage and mirrored in `<html lang>`. */
import { useEffect, useState } from "preact/hooks";
import { recall, remember } from "./storage";

/** The languages the pages speak. */
export type Lang = "en" | "zh";

/** The choices a language switch offers, each named in its own language. */
export const LANGUAGES: readonly [Lang, string][] = [
  ["en", "English"],
  ["zh", "中文"],
];

const STORAGE_KEY = "aigne-hub.lang";
const listeners = new Set<() => void>();
let current: Lang = savedOrBrowserLang();

function savedOrBrowserLang(): Lang {
  const saved = recall(STORAGE_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** The BCP 47 tag for `<html lang>` and Intl formatting. */
export function localeTag(): string {
  return current === "zh" ? "zh-CN" : "en";
}

document.documentElement.lang = localeTag();

/** The language in use. */
export function currentLang(): Lang {
  return current;
}

/** Switches every mounted page component to `next` and remembers the choice. */
export function setLang(next: Lang): void {
  current = next;
  document.documentElement.lang = localeTag();
  remember(STORAGE_KEY, next);
  for (const listener of listeners) listener();
}

/** Re-renders the calling component when the language changes; returns the language in use. */
export function useLang(): Lang {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return current;
}

/** Values for `{name}` placeholders in a message. */
export type MessageVars = Record<string, string | number>;

/**
 * Builds a translator over one English dictionary and its Chinese twin; the type makes the Chinese one complete.
 * `{name}` placeholders are filled from `vars`, as text (the pages never render messages as HTML).
 */
export function translator<K extends string>(en: Record<K, string>, zh: Record<K, string>) {
  return function translate(key: K, vars?: MessageVars): string {
    const text = (current === "zh" ? zh : en)[key];
    return vars ? text.replace(/\{(\w+)\}/g, (whole, name: string) => String(vars[name] ?? whole)) : text;
  };
}

/** Formats an ISO time in the visitor's time zone and language; "—" when there is none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(localeTag(), { dateStyle: "medium", timeStyle: "short" });
}

/** Formats a count with the language's digit grouping. */
export function formatCount(value: number): string {
  return value.toLocaleString(localeTag());
}

/** @module Hooks for talking to the API from components: loading data, and running an action with busy and error. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "./api";

/** Data being loaded: the last good value, the failure in words, and a way to load again. */
export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload(): void;
}

/** Loads with `load()` on mount and whenever `deps` change; a newer load wins over a slower older one. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T>();
  // The failure itself is kept, so its words follow a language switch.
  const [failure, setFailure] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  // The caller's deps decide when to load again; `load` itself is a fresh closure on every render.
  useEffect(() => {
    const mine = ++latest.current;
    setLoading(true);
    load().then(
      (value) => {
        if (mine !== latest.current) return;
        setData(value);
        setFailure(undefined);
        setLoading(false);
      },
      (reason: unknown) => {
        if (mine !== latest.current) return;
        setFailure(reason ?? new Error("failed"));
        setLoading(false);
      },
    );
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { data, error: failure === undefined ? undefined : describeError(failure), loading, reload };
}

/** An action a control starts: whether it runs, what went wrong, and `run` to start it. */
export interface Action {
  busy: boolean;
  error: string | undefined;
  /** Runs `work`, keeping `busy` set meanwhile; a failure lands in `error`, in words. Resolves true on success. */
  run(work: () => Promise<unknown>): Promise<boolean>;
  clear(): void;
}

/** State for one button or form that calls the hub. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  return {
    busy,
    error: failure === undefined ? undefined : describeError(failure),
    async run(work) {
      setBusy(true);
      setFailure(undefined);
      try {
        await work();
        return true;
      } catch (reason) {
        setFailure(reason ?? new Error("failed"));
        return false;
      } finally {
        setBusy(false);
      }
    },
    clear: () => setFailure(undefined),
  };
}

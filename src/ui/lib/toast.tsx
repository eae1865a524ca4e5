/** @jsxImportSource preact */
/** @module Short confirmations ("Key revoked") in one polite live region, so screen readers hear them too. */
import { useEffect, useState } from "preact/hooks";

interface Toast {
  id: number;
  text: string;
  kind: "success" | "error";
}

const SHOW_MS = 5000;
let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<(list: Toast[]) => void>();

function publish(list: Toast[]) {
  toasts = list;
  for (const listener of listeners) listener(list);
}

/** Shows a short message for a few seconds; errors that need the visitor's action belong inline instead. */
export function toast(text: string, kind: Toast["kind"] = "success"): void {
  const item = { id: nextId++, text, kind };
  publish([...toasts, item]);
  setTimeout(() => publish(toasts.filter((t) => t.id !== item.id)), SHOW_MS);
}

/** The region the toasts appear in; the shell renders it once. */
export function Toasts() {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => listeners.delete(setList);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((item) => (
        <p key={item.id} class={`toast ${item.kind}`}>
          {item.text}
        </p>
      ))}
    </div>
  );
}

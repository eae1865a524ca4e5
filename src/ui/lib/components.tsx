/** @jsxImportSource preact */
/** @module Small accessible building blocks: buttons, panels, notices, badges, tables and copy fields. */
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { t } from "./text";

/** A button that shows it is working and cannot be pressed twice meanwhile. */
export function Button(props: {
  children: ComponentChildren;
  onClick?: () => void;
  type?: "button" | "submit";
  kind?: "primary" | "danger" | "plain";
  busy?: boolean;
  disabled?: boolean;
  /** An accessible name when the visible text alone is ambiguous ("Revoke" in a table row). */
  label?: string;
}) {
  return (
    <button
      type={props.type ?? "button"}
      class={props.kind && props.kind !== "plain" ? props.kind : undefined}
      disabled={props.disabled || props.busy}
      aria-busy={props.busy || undefined}
      aria-label={props.label}
      onClick={props.onClick}
    >
      {props.children}
    </button>
  );
}

/** A titled card; the heading names the region for assistive technology. */
export function Panel(props: {
  title: string;
  id?: string;
  actions?: ComponentChildren;
  wide?: boolean;
  children: ComponentChildren;
}) {
  const headingId = useId();
  return (
    <section id={props.id} class={props.wide ? "panel wide" : "panel"} aria-labelledby={headingId}>
      <header class="panel-head">
        <h2 id={headingId} tabIndex={-1}>
          {props.title}
        </h2>
        {props.actions && <div class="panel-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** A message in the flow of the page: errors are announced at once, the rest politely. */
export function Notice(props: { kind: "error" | "success" | "info" | "warning"; children: ComponentChildren }) {
  return (
    <p class={`notice ${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      {props.children}
    </p>
  );
}

/** Shows an error in words when there is one. */
export function ErrorText(props: { error: string | undefined }) {
  return props.error ? <Notice kind="error">{props.error}</Notice> : null;
}

/** A short status word; the word carries the meaning, the colour only repeats it. */
export function Badge(props: { tone: "ok" | "warn" | "bad" | "muted"; children: ComponentChildren }) {
  return <span class={`badge ${props.tone}`}>{props.children}</span>;
}

/** A column of a DataTable: its header and how to render one row's cell. */
export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  numeric?: boolean;
}

/**
 * A table with a caption; on a phone each row becomes a card whose cells carry their column name (`data-label`),
 * so nothing scrolls sideways.
 */
export function DataTable<T>(props: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  empty?: string;
}) {
  if (props.rows.length === 0) return <p class="muted">{props.empty ?? t("empty")}</p>;
  return (
    <div class="table-wrap">
      <table class="table">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th key={column.label} scope="col" class={column.numeric ? "num" : undefined}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((column) => (
                <td key={column.label} data-label={column.label} class={column.numeric ? "num" : undefined}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Copies text to the clipboard; falls back to selecting it where the Clipboard API is unavailable. */
async function copyText(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input?.select();
    return false;
  }
}

/** A read-only secret with a Copy button, for values the hub shows only once. */
export function CopyField(props: { label: string; value: string; hint?: string }) {
  const id = useId();
  const [copied, setCopied] = useState<boolean>();
  return (
    <div class="field copy-field">
      <label for={id}>{props.label}</label>
      <div class="copy-row">
        <input
          id={id}
          readOnly
          value={props.value}
          spellcheck={false}
          aria-describedby={props.hint ? `${id}-hint` : undefined}
          onFocus={(event) => event.currentTarget.select()}
        />
        <Button
          kind="primary"
          onClick={() => copyText(props.value, document.getElementById(id) as HTMLInputElement | null).then(setCopied)}
        >
          {t("copy")}
        </Button>
      </div>
      {props.hint && (
        <small id={`${id}-hint`} class="muted">
          {props.hint}
        </small>
      )}
      <span class="muted" role="status">
        {copied === true ? t("copied") : copied === false ? t("copyFailed") : ""}
      </span>
    </div>
  );
}

/** A destructive button that asks once more in place instead of opening a dialog; focus moves to the question. */
export function ConfirmButton(props: { children: ComponentChildren; label?: string; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <Button kind="danger" label={props.label} onClick={() => setAsking(true)}>
        {props.children}
      </Button>
    );
  return (
    <span class="confirm">
      <button
        ref={confirm}
        type="button"
        class="danger"
        aria-label={props.label && `${t("confirm")}: ${props.label}`}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {t("confirm")}
      </button>
      <Button onClick={() => setAsking(false)}>{t("cancel")}</Button>
    </span>
  );
}

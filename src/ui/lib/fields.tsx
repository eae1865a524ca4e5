/** @jsxImportSource preact */
/** @module Form building blocks: labelled fields tied to their hints by ids, and forms that never navigate. */
import type { ComponentChildren } from "preact";
import { useId } from "preact/hooks";

interface FieldProps {
  label: string;
  name: string;
  hint?: string;
  required?: boolean;
  disabled?: boolean;
  /** Keeps the label for assistive technology only, where a table header already shows it. */
  hideLabel?: boolean;
}

/** The label, the control and an optional hint, tied together by ids. */
function FieldFrame(props: {
  id: string;
  label: string;
  hint?: string;
  hideLabel?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={props.id} class={props.hideLabel ? "visually-hidden" : undefined}>
        {props.label}
      </label>
      {props.children}
      {props.hint && (
        <small id={`${props.id}-hint`} class="muted">
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** A labelled text-like input (text, email, password, number, url, search, datetime-local). */
export function TextField(
  props: FieldProps & {
    type?: "text" | "email" | "password" | "number" | "url" | "search" | "datetime-local";
    value?: string;
    defaultValue?: string;
    placeholder?: string;
    autocomplete?: string;
    min?: number;
    step?: string;
    onInput?: (value: string) => void;
  },
) {
  const id = useId();
  return (
    <FieldFrame id={id} label={props.label} hint={props.hint} hideLabel={props.hideLabel}>
      <input
        id={id}
        name={props.name}
        // Preact types the input's ARIA role per `type` and cannot check a union of types at once.
        type={(props.type ?? "text") as "text"}
        value={props.value}
        defaultValue={props.defaultValue}
        placeholder={props.placeholder}
        autocomplete={props.autocomplete}
        min={props.min}
        step={props.step}
        required={props.required}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onInput={props.onInput && ((event) => props.onInput!(event.currentTarget.value))}
      />
    </FieldFrame>
  );
}

/** A labelled multi-line input. */
export function TextAreaField(
  props: FieldProps & {
    value?: string;
    rows?: number;
    placeholder?: string;
    onInput?: (value: string) => void;
    onKeyDown?: (event: KeyboardEvent) => void;
  },
) {
  const id = useId();
  return (
    <FieldFrame id={id} label={props.label} hint={props.hint} hideLabel={props.hideLabel}>
      <textarea
        id={id}
        name={props.name}
        rows={props.rows ?? 3}
        value={props.value}
        placeholder={props.placeholder}
        required={props.required}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onInput={props.onInput && ((event) => props.onInput!(event.currentTarget.value))}
        onKeyDown={props.onKeyDown}
      />
    </FieldFrame>
  );
}

/** A labelled drop-down; options are `[value, text]` pairs, or groups of them. */
export function SelectField(
  props: FieldProps & {
    options: [string, string][] | { group: string; options: [string, string][] }[];
    value?: string;
    defaultValue?: string;
    onChange?: (value: string) => void;
  },
) {
  const id = useId();
  const option = ([value, text]: [string, string]) => (
    <option key={value} value={value}>
      {text}
    </option>
  );
  return (
    <FieldFrame id={id} label={props.label} hint={props.hint} hideLabel={props.hideLabel}>
      <select
        id={id}
        name={props.name}
        value={props.value}
        defaultValue={props.defaultValue}
        required={props.required}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={props.onChange && ((event) => props.onChange!(event.currentTarget.value))}
      >
        {props.options.map((entry) =>
          Array.isArray(entry) ? (
            option(entry)
          ) : (
            <optgroup key={entry.group} label={entry.group}>
              {entry.options.map(option)}
            </optgroup>
          ),
        )}
      </select>
    </FieldFrame>
  );
}

/** A labelled checkbox, the label after the box. */
export function CheckField(
  props: Omit<FieldProps, "required"> & {
    checked?: boolean;
    defaultChecked?: boolean;
    onChange?: (checked: boolean) => void;
  },
) {
  const id = useId();
  return (
    <div class="check">
      <input
        id={id}
        name={props.name}
        type="checkbox"
        checked={props.checked}
        defaultChecked={props.defaultChecked}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={props.onChange && ((event) => props.onChange!(event.currentTarget.checked))}
      />
      <label for={id}>{props.label}</label>
      {props.hint && (
        <small id={`${id}-hint`} class="muted">
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** The text values of a submitted form by field name, trimmed except passwords (spaces may belong to them). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of new FormData(form)) {
    if (typeof value !== "string") continue;
    const field = form.elements.namedItem(name);
    values[name] = field instanceof HTMLInputElement && field.type === "password" ? value : value.trim();
  }
  return values;
}

/**
 * A form that never navigates: submit runs `onSubmit` with the form's values. Fields stack by default, sit in one
 * wrapping row with `inline`, or in aligned columns with `grid` (many short fields, such as filters).
 */
export function Form(props: {
  onSubmit: (values: Record<string, string>, form: HTMLFormElement) => void;
  label?: string;
  inline?: boolean;
  grid?: boolean;
  children: ComponentChildren;
}) {
  return (
    <form
      class={props.inline ? "inline-form" : props.grid ? "grid-form" : undefined}
      aria-label={props.label}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit(formValues(event.currentTarget), event.currentTarget);
      }}
    >
      {props.children}
    </form>
  );
}

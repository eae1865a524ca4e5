/** @jsxImportSource preact */
/** @module The key-approval page: sign in, then approve or deny the access-key request a CLI opened this page for. */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type {
  ACCESS_KEY_REQUEST_PATH,
  AccessKeyDecision,
  AccessKeyDecisionBody,
  AccessKeyRequestInfo,
  AUTH_SESSION_PATH,
  AUTH_SIGN_IN_PATH,
  HubErrorBody,
  SignedInSession,
} from "../shared/api";

// Typed against the shared constants, which this page may only import as types.
const REQUEST_PATH: typeof ACCESS_KEY_REQUEST_PATH = "/.well-known/service/api/access-key/request";
const SESSION_PATH: typeof AUTH_SESSION_PATH = "/api/auth/session";
const SIGN_IN_PATH: typeof AUTH_SIGN_IN_PATH = "/api/auth/sign-in";

/** What the CLI put in this page's URL; URLSearchParams does the form decoding (`+` is a space). */
const params = new URLSearchParams(location.search);
const ask = {
  token: params.get("__token__") ?? "",
  source: (params.get("source") ?? "").trim(),
  appName: (params.get("appName") ?? "").trim(),
  appLogo: httpsOnly(params.get("appLogo")),
};

/** Keeps a logo URL only when it is https, so the page never loads anything over plain HTTP. */
function httpsOnly(value: string | null): string | undefined {
  try {
    return value && new URL(value).protocol === "https:" ? value : undefined;
  } catch {
    return undefined;
  }
}

type Result<T> = { ok: true; data: T } | { ok: false; status: number; message: string };

/** Calls the hub's JSON API and turns an error body into its message. */
async function callHub<T>(path: string, init: { body?: unknown; csrfToken?: string } = {}): Promise<Result<T>> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.csrfToken) headers["x-csrf-token"] = init.csrfToken;
  try {
    const response = await fetch(path, {
      method: init.body === undefined ? "GET" : "POST",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => undefined);
    if (response.ok) return { ok: true, data: data as T };
    const message = (data as HubErrorBody | undefined)?.error?.message ?? `The hub answered ${response.status}.`;
    return { ok: false, status: response.status, message };
  } catch {
    return { ok: false, status: 0, message: "The hub could not be reached. Check your connection and reload." };
  }
}

type View =
  | { kind: "loading" }
  | { kind: "sign-in"; error?: string; busy?: boolean }
  | { kind: "request"; info: AccessKeyRequestInfo; session: SignedInSession; error?: string; busy?: boolean }
  | { kind: "decided"; decision: AccessKeyDecision }
  | { kind: "failed"; message: string };

function App() {
  const [view, setView] = useState<View>({ kind: "loading" });

  const showRequest = async (session: SignedInSession) => {
    const found = await callHub<AccessKeyRequestInfo>(`${REQUEST_PATH}?token=${encodeURIComponent(ask.token)}`);
    setView(found.ok ? { kind: "request", info: found.data, session } : { kind: "failed", message: found.message });
  };

  useEffect(() => {
    // Framed, the Approve button could be clickjacked, and a meta CSP cannot forbid framing.
    if (window.top !== window.self)
      return setView({ kind: "failed", message: "This page cannot be shown in a frame." });
    if (!ask.token)
      return setView({ kind: "failed", message: "This link has no request token. Run the connect command again." });
    void callHub<SignedInSession>(SESSION_PATH).then((session) =>
      session.ok ? showRequest(session.data) : setView({ kind: "sign-in" }),
    );
  }, []);

  const signIn = async (form: HTMLFormElement) => {
    const fields = new FormData(form);
    setView({ kind: "sign-in", busy: true });
    const session = await callHub<SignedInSession>(SIGN_IN_PATH, {
      body: { email: String(fields.get("email") ?? ""), password: String(fields.get("password") ?? "") },
    });
    if (session.ok) await showRequest(session.data);
    else setView({ kind: "sign-in", error: session.message });
  };

  const decide = async (current: Extract<View, { kind: "request" }>, decision: "approve" | "deny") => {
    setView({ ...current, busy: true, error: undefined });
    const body: AccessKeyDecisionBody = { token: ask.token, source: ask.source, appName: ask.appName };
    const result = await callHub<AccessKeyDecision>(`${REQUEST_PATH}/${decision}`, {
      body,
      csrfToken: current.session.csrfToken,
    });
    setView(
      result.ok ? { kind: "decided", decision: result.data } : { ...current, busy: false, error: result.message },
    );
  };

  switch (view.kind) {
    case "loading":
      return <p class="muted">Loading…</p>;
    case "sign-in":
      return <SignInForm view={view} onSubmit={signIn} />;
    case "request":
      return <RequestCard view={view} onDecide={(decision) => decide(view, decision)} />;
    case "decided":
      return view.decision.status === "approved" ? (
        <section>
          <h1>Access approved</h1>
          <p class="success">You can return to the terminal; the CLI will continue automatically.</p>
          <p class="muted">A new API key named “{view.decision.keyName}” was created. You can revoke it any time.</p>
        </section>
      ) : (
        <section>
          <h1>Access denied</h1>
          <p>No key was created. The CLI will stop waiting.</p>
        </section>
      );
    case "failed":
      return (
        <section>
          <h1>This request cannot be approved</h1>
          <p class="error" role="alert">
            {view.message}
          </p>
        </section>
      );
  }
}

function SignInForm(props: { view: Extract<View, { kind: "sign-in" }>; onSubmit(form: HTMLFormElement): void }) {
  return (
    <section>
      <h1>Sign in to approve CLI access</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          props.onSubmit(event.currentTarget);
        }}
      >
        <div class="field">
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        {props.view.error && (
          <p class="error" role="alert">
            {props.view.error}
          </p>
        )}
        <button type="submit" class="primary" disabled={props.view.busy}>
          Sign in
        </button>
      </form>
    </section>
  );
}

function RequestCard(props: {
  view: Extract<View, { kind: "request" }>;
  onDecide(decision: "approve" | "deny"): void;
}) {
  const { info, session, busy, error } = props.view;
  const appName = ask.appName || "A command-line tool";
  return (
    <section>
      <h1 class="app">
        {ask.appLogo && <img src={ask.appLogo} alt="" referrerpolicy="no-referrer" />}
        <span>{appName} asks for access</span>
      </h1>
      <p>
        It wants an API key for your account <strong>{session.user.email}</strong> on this hub.
      </p>
      <dl>
        <dt>App</dt>
        <dd>{appName}</dd>
        <dt>Source</dt>
        <dd>{ask.source || "not given"}</dd>
        <dt>Requested</dt>
        <dd>{new Date(info.createdAt).toLocaleString()}</dd>
        <dt>From IP</dt>
        <dd>{info.creatorIp}</dd>
        <dt>Client</dt>
        <dd>{info.userAgent || "unknown"}</dd>
      </dl>
      <p class="warning">
        Approve only if you just ran <code>aigne hub connect</code> or <code>aigne-hub hub connect</code> yourself.
        Whoever holds the new key can spend your credits.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" class="primary" disabled={busy} onClick={() => props.onDecide("approve")}>
          Approve
        </button>
        <button type="button" disabled={busy} onClick={() => props.onDecide("deny")}>
          Deny
        </button>
      </div>
    </section>
  );
}

const root = document.getElementById("app")!;
root.textContent = "";
root.className = "card";
render(<App />, root);

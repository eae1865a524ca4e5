/** @jsxImportSource preact */
/** @module The frame of every hub page: top bar with role-aware links, language switch, sign-in gate and toasts. */
import { type ComponentChildren, render } from "preact";
import { useEffect } from "preact/hooks";
import type { PublicUser } from "../../shared/api";
import { Button, ErrorText } from "./components";
import { Form, TextField } from "./fields";
import { useAction } from "./hooks";
import { currentLang, LANGUAGES, type Lang, setLang, useLang } from "./i18n";
import { type Session, useSession } from "./session";
import { t } from "./text";
import { Toasts } from "./toast";

/** The pages the top bar links to. */
export type PageId = "runs" | "account" | "playground" | "agents" | "publish" | "admin";

const NAV: { id: PageId; href: string; adminOnly?: boolean }[] = [
  { id: "runs", href: "/ui/" },
  { id: "account", href: "/ui/account" },
  { id: "playground", href: "/ui/playground" },
  { id: "agents", href: "/ui/agent.html" },
  { id: "publish", href: "/ui/publish.html" },
  { id: "admin", href: "/ui/admin", adminOnly: true },
];

/** How a page plugs into the shell. */
export interface PageOptions {
  page: PageId;
  /** The page's name for the tab title, in the current language. */
  title: () => string;
  /** Anyone may see the page; otherwise the sign-in form comes first. */
  public?: boolean;
  adminOnly?: boolean;
  /** The page's content; `user` is undefined only on public pages for visitors who are not signed in. */
  render: (user: PublicUser | undefined) => ComponentChildren;
}

/** Renders a page inside the shell into the document's `#app` element. */
export function mountPage(options: PageOptions): void {
  const root = document.getElementById("app")!;
  root.textContent = "";
  render(<Shell {...options} />, root);
}

function Shell(props: PageOptions) {
  useLang();
  const session = useSession();
  useEffect(() => {
    document.title = `${props.title()} · ${t("brand")}`;
  });
  const user = session.state.status === "signed-in" ? session.state.user : undefined;
  return (
    <>
      <a class="skip-link" href="#main">
        {t("skip")}
      </a>
      <header class="topbar">
        <a class="brand" href="/ui/">
          {t("brand")}
        </a>
        <nav aria-label={t("nav.label")}>
          <ul>
            {NAV.filter((item) => !item.adminOnly || user?.role === "admin").map((item) => (
              <li key={item.id}>
                <a href={item.href} aria-current={item.id === props.page ? "page" : undefined}>
                  {t(`nav.${item.id}`)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="topbar-tools">
          <LanguageSwitch />
          {user && <SignedInMenu user={user} session={session} />}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <PageBody options={props} session={session} />
      </main>
      <Toasts />
    </>
  );
}

function PageBody(props: { options: PageOptions; session: Session }) {
  const { state } = props.session;
  if (state.status === "loading") return <p class="muted">{t("loading")}</p>;
  if (state.status === "signed-out")
    return props.options.public ? props.options.render(undefined) : <SignInForm session={props.session} />;
  if (props.options.adminOnly && state.user.role !== "admin")
    return (
      <p class="notice warning" role="alert">
        {t("adminOnly")}
      </p>
    );
  return props.options.render(state.user);
}

function LanguageSwitch() {
  return (
    <label class="lang-switch">
      <span class="visually-hidden">{t("language")}</span>
      <select value={currentLang()} onChange={(event) => setLang(event.currentTarget.value as Lang)}>
        {LANGUAGES.map(([code, name]) => (
          <option key={code} value={code} lang={code === "zh" ? "zh-CN" : "en"}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

function SignedInMenu(props: { user: PublicUser; session: Session }) {
  const action = useAction();
  return (
    <div class="who">
      <span class="who-email" title={t("signedInAs", { email: props.user.email })}>
        {props.user.email}
      </span>
      <Button busy={action.busy} onClick={() => action.run(() => props.session.signOut())}>
        {t("signOut")}
      </Button>
      <ErrorText error={action.error} />
    </div>
  );
}

function SignInForm(props: { session: Session }) {
  const action = useAction();
  return (
    <section class="panel narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t("signIn.title")}</h1>
      <Form onSubmit={(values) => action.run(() => props.session.signIn(values.email ?? "", values.password ?? ""))}>
        <TextField label={t("signIn.email")} name="email" type="email" autocomplete="username" required />
        <TextField
          label={t("signIn.password")}
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        <ErrorText error={action.error} />
        <Button type="submit" kind="primary" busy={action.busy}>
          {t("signIn")}
        </Button>
      </Form>
    </section>
  );
}

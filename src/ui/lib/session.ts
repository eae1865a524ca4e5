/** @module Who is signed in: reads the browser session once, signs in and out, and notices when it expires. */
import { useEffect, useState } from "preact/hooks";
import type { PublicUser, SignedInSession } from "../../shared/api";
import { call, rememberCsrfToken, whenSignedOut } from "./api";

/** Where the page stands with the hub's session. */
export type SessionState = { status: "loading" } | { status: "signed-out" } | { status: "signed-in"; user: PublicUser };

/** The session of this page, with the calls that change it. */
export interface Session {
  state: SessionState;
  /** Signs in with email and password; throws ApiError on a wrong password or a lockout. */
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

/** Loads the session on mount; a 401 from any later call drops the page back to signed out. */
export function useSession(): Session {
  const [state, setState] = useState<SessionState>({ status: "loading" });
  const accept = (session: SignedInSession) => {
    rememberCsrfToken(session.csrfToken);
    setState({ status: "signed-in", user: session.user });
  };
  useEffect(() => {
    whenSignedOut(() => setState({ status: "signed-out" }));
    call<SignedInSession>("GET", "/api/auth/session").then(accept, () => setState({ status: "signed-out" }));
  }, []);
  return {
    state,
    async signIn(email, password) {
      accept(await call<SignedInSession>("POST", "/api/auth/sign-in", { email, password }));
    },
    async signOut() {
      await call("POST", "/api/auth/sign-out");
      rememberCsrfToken("");
      setState({ status: "signed-out" });
    },
  };
}

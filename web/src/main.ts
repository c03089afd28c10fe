/** The page's entry: read config.json, sign in (demo-user picker, pasted token or OIDC), start. */
import { ChatApp } from './app.ts';
import {
  devSession,
  devUsers,
  loadConfig,
  type Session,
  signOut,
  storedSession,
  takeNotice,
  tokenSession,
  type WebConfig,
} from './auth.ts';
import { byId, h } from './dom.ts';
import { takeDraft } from './keep.ts';
import { oidcSession, oidcSignIn } from './oidc.ts';

/** For the browser test and for poking around in the console. */
declare global {
  interface Window {
    chatApp?: ChatApp;
  }
}

function start(session: Session, config: WebConfig): void {
  byId('login').hidden = true;
  byId('shell').hidden = false;
  const app = new ChatApp(
    session,
    () => {
      signOut();
      location.reload();
    },
    config.timing,
  );
  window.chatApp = app;
  // Back after signing in again: the chat and the text that were open.
  const draft = takeDraft(session.userId);
  if (draft) {
    app.open(draft.chatId);
    app.composer.text = draft.text;
  }
}

async function showLogin(config: WebConfig): Promise<void> {
  const login = byId('login');
  login.hidden = false;
  byId('shell').hidden = true;
  byId('login-error').textContent = takeNotice();
  if (config.mode === 'oidc') {
    byId('login-intro').textContent = 'Sign in to chat.';
    byId('token-form').hidden = true;
    const button = byId<HTMLButtonElement>('oidc-button');
    button.hidden = false;
    button.onclick = () => void oidcSignIn(config).catch(fail);
    button.focus();
    return;
  }
  // Wired before the demo users are fetched: the form shows at once, and a token pasted meanwhile
  // must not be submitted as a plain GET (a reload to the login form, the token in the URL).
  byId('token-form').onsubmit = (e) => {
    e.preventDefault();
    const token = byId<HTMLInputElement>('token-input').value.trim();
    if (token) start(tokenSession(token), config);
  };
  const users = await devUsers();
  byId('user-list').replaceChildren(
    ...users.map((u) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'user',
            'data-user-id': u.userId,
            onclick: () => start(devSession(u.userId), config),
          },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, u.name.slice(0, 1)),
          u.name,
        ),
      ),
    ),
  );
  if (users.length === 0) byId('login-intro').textContent = 'Paste a token to sign in.';
  // Not away from a token being typed while the users loaded.
  if (!login.contains(document.activeElement)) login.querySelector<HTMLElement>('button, input')?.focus();
}

function fail(error: unknown): void {
  byId('login').hidden = false;
  byId('shell').hidden = true;
  byId('login-error').textContent = (error as Error).message ?? String(error);
}

async function main(): Promise<void> {
  const config = await loadConfig();
  let session: Session | null;
  try {
    session = config.mode === 'oidc' ? await oidcSession(config) : storedSession();
  } catch (error) {
    // A failed OIDC callback (state mismatch, token exchange): the login of this mode, and why.
    await showLogin(config);
    return fail(error);
  }
  if (session) start(session, config);
  else await showLogin(config);
}

main().catch(fail);

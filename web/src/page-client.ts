/**
 * The page's client: connected with the session's token (a demo user's or OIDC token function is
 * watched for a refusal), through the browser's WebSocket made to notice `offline` (online.ts), with
 * its outbox in sessionStorage (keep.ts). When the user must sign in again it goes back to the login
 * form, keeping the outbox and the draft: the client stopped for good (`unauthorized`,
 * `token-expired`), the sign-in can no longer be renewed or was refused, or handshakes keep failing
 * fast while online (refusals.ts: a browser cannot see a refused handshake).
 */
import { type ChatClient, connect } from '../../client/src/index.ts';
import { type Session, SignInRefused } from './auth.ts';
import { guardUnload, outboxStore, type SignInReason, signInAgainKeeping, watchedToken } from './keep.ts';
import { OnlineAwareWebSocket, watchHandshakes } from './online.ts';
import { Refusals } from './refusals.ts';

export interface PageClient {
  readonly client: ChatClient;
  /** Stops asking before the page is left (signing out on purpose). */
  readonly unguard: () => void;
}

/** `draft`: the open chat and the composer's text, kept when the page must sign in again. */
export function pageClient(
  session: Session,
  draft: () => { chatId: string | null; text: string },
): PageClient {
  // Called later, once `client` and `unguard` are set.
  const signInAgain = (reason: SignInReason, detail?: string) => {
    unguard();
    const { chatId, text } = draft();
    signInAgainKeeping(session, reason, client, chatId, text, detail);
  };
  const client = connect({
    url: session.wsUrl,
    token: watchedToken(session.token, (error) =>
      error instanceof SignInRefused ? signInAgain('refused', error.message) : signInAgain('token-expired'),
    ),
    WebSocket: OnlineAwareWebSocket,
    // The outbox outlives a reload (keep.ts): signing in again as the same user sends it.
    store: outboxStore(session.userId),
  });
  const unguard = guardUnload(client);
  client.on('state', ({ state, reason }) => {
    if (state === 'closed' && (reason === 'unauthorized' || reason === 'token-expired')) signInAgain(reason);
  });
  const refusals = new Refusals();
  watchHandshakes({
    opened: () => refusals.reset(),
    failed: (ms) => {
      if (refusals.failed(ms, Date.now())) signInAgain('unreachable');
    },
  });
  window.addEventListener('offline', () => refusals.reset());
  return { client, unguard };
}

/**
 * The page's client: connected with the session's token (a demo user's or OIDC token function is
 * watched for a refusal), through the browser's WebSocket made to notice `offline` (online.ts), with
 * its outbox in sessionStorage (keep.ts). When the user must sign in again it goes back to the login
 * form, keeping the outbox and the draft: the client stopped for good (`unauthorized`,
 * `token-expired`), the sign-in can no longer be renewed or was refused, or handshakes keep failing
 * fast while online (refusals.ts: a browser cannot see a refused handshake). Failures while the
 * user's other tabs hold the socket cap (tabs.ts) are no refusal: the page says too many tabs are
 * open, and connects once one of them closes its socket.
 */

import { type ChatClient, connect } from '../../client/src/index.ts';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import { type Session, SignInRefused } from './auth.ts';
import type { PageTiming } from './config.ts';
import { byId } from './dom.ts';
import { guardUnload, outboxStore, type SignInReason, signInAgainKeeping, watchedToken } from './keep.ts';
import { OnlineAwareWebSocket, watchHandshakes } from './online.ts';
import { REFUSALS, Refusals } from './refusals.ts';
import { AFTER_ROOM_MS, OpenTabs } from './tabs.ts';

export interface PageClient {
  readonly client: ChatClient;
  /** Stops asking before the page is left (signing out on purpose). */
  readonly unguard: () => void;
}

/**
 * `draft`: the open chat and the composer's text, kept when the page must sign in again. `timing`:
 * `config.json`'s shorter waits for the tests (config.ts), none on a real page.
 */
export function pageClient(
  session: Session,
  draft: () => { chatId: string | null; text: string },
  timing: PageTiming = {},
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
    // Undefined (a real page): the client's defaults.
    backoffBaseMs: timing.backoffBaseMs,
    backoffMaxMs: timing.backoffMaxMs,
    requestTimeoutMs: timing.requestTimeoutMs,
  });
  const unguard = guardUnload(client);
  client.on('state', ({ state, reason }) => {
    if (state === 'closed' && (reason === 'unauthorized' || reason === 'token-expired')) signInAgain(reason);
  });
  const refusals = new Refusals(timing.refusals ?? REFUSALS);
  const tabs = new OpenTabs(session.userId);
  const tooManyTabs = (shown: boolean) => {
    byId('tabs-notice').hidden = !shown;
  };
  let opens = 0;
  // Retries left after another tab made room (AFTER_ROOM_MS), before the client's backoff alone.
  let afterRoom: number[] = [];
  const room = () => {
    afterRoom = [...AFTER_ROOM_MS];
    client.reconnectNow();
  };
  watchHandshakes({
    opened: () => {
      opens++;
      afterRoom = [];
      refusals.reset();
      tabs.opened();
      tooManyTabs(false);
    },
    closed: () => tabs.closed(),
    failed: (ms) => {
      const now = Date.now();
      const since = opens;
      // The cap's worth of this user's other tabs are connected: the server refused this socket for
      // that (429), the sign-in is fine. Not a refusal; connect as soon as one of them closes.
      void tabs.full(LIMITS.socketsPerUser, room).then((full) => {
        if (opens !== since) return; // a socket opened meanwhile
        tooManyTabs(full);
        if (full) {
          afterRoom = [];
          refusals.reset();
          return;
        }
        const wait = afterRoom.shift();
        if (wait !== undefined) setTimeout(() => client.reconnectNow(), wait);
        if (refusals.failed(ms, now)) signInAgain('unreachable');
      });
    },
  });
  window.addEventListener('offline', () => refusals.reset());
  return { client, unguard };
}

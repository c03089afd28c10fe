/**
 * What outlives the page when the user must sign in again (a pasted token expired or was refused, or
 * the OIDC provider refused to renew the sign-in: the page reloads to the login form; OIDC leaves the
 * page anyway).
 * The outbox is kept in this tab's sessionStorage, per user: the next client of the same user loads
 * it and sends it, once (a send keeps its clientMessageId). The draft (open chat and composer text)
 * is kept the same way. A page closed while messages wait in the outbox asks first.
 */
import type { ChatClient, ClientStore, OutboxEntry, TokenSource } from '../../client/src/index.ts';
import { type Session, signInAgain } from './auth.ts';
import { expired } from './jwt.ts';
import { SignInRequired } from './oidc-token.ts';

const outboxKey = (userId: string) => `chat.outbox.${userId}`;
const DRAFT = 'chat.draft';

function read<T>(key: string): T | null {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? 'null') as T | null;
  } catch {
    return null; // A damaged entry: nothing kept.
  }
}

/**
 * The client's store: the outbox only, in sessionStorage (chats and messages are fetched again on
 * every start, as with the in-memory store).
 */
export function outboxStore(userId: string): ClientStore {
  const key = outboxKey(userId);
  return {
    async load() {
      const outbox = read<OutboxEntry[]>(key) ?? [];
      return outbox.length > 0 ? { chats: [], messages: [], outbox } : null;
    },
    async save({ outbox }) {
      if (!outbox) return;
      if (outbox.length > 0) sessionStorage.setItem(key, JSON.stringify(outbox));
      else sessionStorage.removeItem(key);
    },
  };
}

/**
 * Signing out on purpose: asks first when changes are not sent yet, then closes the client and
 * forgets the user's kept outbox. False when the user chose to stay.
 */
export async function signOutDiscarding(
  client: ChatClient,
  userId: string,
  unguard: () => void,
): Promise<boolean> {
  const waiting = client.pending().length;
  if (waiting > 0 && !confirm(`Sign out and discard ${waiting} change(s) not sent yet?`)) return false;
  unguard();
  await client.close();
  sessionStorage.removeItem(outboxKey(userId));
  return true;
}

export interface Draft {
  readonly chatId: string;
  readonly text: string;
}

/**
 * The session's token for the client, noticing when it can no longer be had (SignInRequired: the
 * provider refused to renew the sign-in): then `refused` runs as well. The client sees the error
 * either way (and would retry); any other error (offline, the provider down) is only that.
 */
export function watchedToken(token: TokenSource, refused: (error: SignInRequired) => void): TokenSource {
  if (typeof token === 'string') return token;
  return async () => {
    try {
      return await token();
    } catch (error) {
      if (error instanceof SignInRequired) refused(error);
      throw error;
    }
  };
}

/**
 * Why the page must sign in again: `unauthorized` (the client saw the handshake refused) or
 * `refused` (the dev server refused a token: `detail` says why); `token-expired` (also: the sign-in
 * cannot be renewed); `unreachable` (handshakes kept failing fast: refused, or no server; refusals.ts).
 */
export type SignInReason = 'unauthorized' | 'refused' | 'token-expired' | 'unreachable';

/**
 * The client stopped for good, the sign-in cannot be renewed or was refused, or handshakes keep
 * failing: keeps the draft (the outbox is in the store already) and reloads to the login form, which
 * says why.
 */
export function signInAgainKeeping(
  session: Session,
  reason: SignInReason,
  client: ChatClient,
  chatId: string | null,
  text: string,
  detail = '',
): void {
  if (chatId) sessionStorage.setItem(DRAFT, JSON.stringify({ userId: session.userId, chatId, text }));
  // A browser cannot see why a handshake was refused; a token past its exp is the usual reason.
  const stale = reason === 'token-expired' || (typeof session.token === 'string' && expired(session.token));
  const why = stale
    ? 'has expired'
    : reason === 'unreachable'
      ? 'was refused, or the server cannot be reached'
      : `was refused${detail ? ` (${detail})` : ''}`;
  const waiting = client.pending().length > 0 ? ' to send what is waiting' : '';
  signInAgain(`Your sign-in ${why}. Sign in again${waiting}.`);
}

/** The draft kept by `userId` (once); another user's is dropped. */
export function takeDraft(userId: string): Draft | null {
  const draft = read<Draft & { userId: string }>(DRAFT);
  sessionStorage.removeItem(DRAFT);
  return draft?.userId === userId ? { chatId: draft.chatId, text: draft.text } : null;
}

/** Asks before the page is left with messages in the outbox; returns what stops asking. */
export function guardUnload(client: ChatClient): () => void {
  const guard = (e: BeforeUnloadEvent) => {
    if (client.pending().length === 0) return;
    e.preventDefault();
    e.returnValue = '';
  };
  addEventListener('beforeunload', guard);
  return () => removeEventListener('beforeunload', guard);
}

/** The client's public types beside the wire types of the contract. */
import type {
  ActionName,
  ChatKind,
  EventFrame,
  EventType,
  Member,
  Message,
  RequestInput,
} from './contract.ts';
import type { ChatClientError } from './errors.ts';
import type { ClientStore } from './store.ts';

export interface Logger {
  debug?(message: string, data?: unknown): void;
  warn?(message: string, data?: unknown): void;
}

export interface ClientOptions {
  /** `wss://<api-host>/<stage>` (locally `ws://localhost:3001`); the token goes in the query string. */
  readonly url: string;
  /** A JWT, or a function giving one; the function is called again on every reconnect. */
  readonly token: TokenSource;
  /** The WebSocket class. @default the global `WebSocket` (browsers, React Native, Node ≥ 22) */
  readonly WebSocket?: WebSocketConstructor;
  /** Where chats, messages, cursors and the outbox are kept. @default in memory */
  readonly store?: ClientStore;
  readonly logger?: Logger;
  /** Keep a local copy of every chat and its messages, in sync with the server. @default true */
  readonly sync?: boolean;
  /** @default 15 000 */
  readonly requestTimeoutMs?: number;
  /** Ping after this long without sending anything (the server closes sockets idle for 10 min). @default 240 000 */
  readonly pingIntervalMs?: number;
  /** Planned reconnect after this long (the server closes every socket at 2 h). @default 115 min */
  readonly maxSocketAgeMs?: number;
  /** Reconnect backoff: full jitter over base·2^attempt, capped. @default 500 and 30 000 */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** A missing version (or seq) not filled by live events within this long triggers a sync. @default 2 000 */
  readonly gapMs?: number;
  /** `markDelivered` at most this often per chat. @default 3 000 */
  readonly deliveredIntervalMs?: number;
}

/** What the client needs of a WebSocket: the browser / React Native / `ws` API. */
export interface WebSocketLike {
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  /** 2 (closing) or 3 (closed): going away before its close event (a browser gone offline). */
  readonly readyState?: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export type TokenSource = string | (() => string | Promise<string>);

/**
 * Why the state changed: `closed` (the socket closed), `failed` (could not connect), `planned` (before
 * the 2-hour limit or the token's expiry), `timeout` (no pong), `token-expired`, `token-error`,
 * `unauthorized` (handshake refused), `closed-by-client`, `suspended` (`suspend()`: no dial until
 * `reconnectNow()`). A union, so a misspelt reason in an app's comparison is a compile error.
 */
export type StateReason =
  | 'closed'
  | 'failed'
  | 'planned'
  | 'timeout'
  | 'token-expired'
  | 'token-error'
  | 'unauthorized'
  | 'closed-by-client'
  | 'suspended';

export interface StateChange {
  readonly state: ConnectionState;
  readonly previous: ConnectionState;
  /** Why (StateReason); absent on `open`. */
  readonly reason?: StateReason;
  /** The WebSocket close code, when there was one. */
  readonly code?: number;
  /** The HTTP status of a refused handshake, when the platform tells it (Node's `ws` does). */
  readonly status?: number;
  /** Reconnecting: the wait before the next attempt, and which attempt it is. */
  readonly delayMs?: number;
  readonly attempt?: number;
}

/** A chat as the client holds it: the summary of `listChats`, and the members when known. */
export interface ChatInfo {
  readonly chatId: string;
  kind: ChatKind;
  name: string | null;
  ownerId: string;
  /** A direct chat's other member, also after one of the two left; absent in groups (and older chats). */
  peerId?: string;
  /** The full member list (from `getChat`, `sync` or a chat event), or null until known. */
  members: Member[] | null;
  memberCount: number;
  lastSeq: number;
  lastVer: number;
  lastReadSeq: number;
  unreadCount: number;
  mutedUntil: string | null;
}

/** A change waiting in the outbox (sends, edits, deletes, reactions), resent until acknowledged. */
export interface OutboxEntry {
  /** The clientMessageId for sends; a fresh id otherwise. */
  readonly id: string;
  readonly chatId: string;
  readonly action: 'sendMessage' | 'editMessage' | 'deleteMessage' | 'react';
  readonly fields: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  attempts: number;
}

export interface OutboxChange {
  readonly entry: OutboxEntry;
  /** `queued` when added, `sent` once acknowledged, `failed` when refused for good (e.g. NOT_FOUND). */
  readonly status: 'queued' | 'sent' | 'failed';
  readonly error?: ChatClientError;
}

/** What the client tells the app, beside every server event (typed by the contract). */
export type ClientEvents = { [T in EventType]: EventFrame<T> } & {
  state: StateChange;
  /**
   * New or changed messages of one chat, each version exactly once, never older after newer; and a
   * message again at its version when `attachmentUrl` renewed one of its attachments' URLs.
   */
  messages: { readonly chatId: string; readonly messages: readonly Message[] };
  /** A chat appeared or changed (`chat`), or is gone (`null`: deleted, or you left or were removed). */
  chat: { readonly chatId: string; readonly chat: ChatInfo | null };
  outbox: OutboxChange;
};

export interface ClientStats {
  /** Sockets lost after being open. */
  reconnects: number;
  /** Outbox requests sent again after a failure or a lost socket. */
  resends: number;
  /** Sends the server recognised by clientMessageId (acked with `duplicate: true`). */
  serverDuplicates: number;
  /** Copies of messages that carried nothing new (events and sync pages), dropped. */
  duplicatesSuppressed: number;
  /** `sync` and `history` requests made to catch up. */
  catchUpRequests: number;
  /** Chats reloaded from scratch after `reset`. */
  resets: number;
  /** `markDelivered` requests. */
  delivered: number;
}

export interface RequestOptions {
  /** @default the client's requestTimeoutMs */
  readonly timeoutMs?: number;
  /**
   * Retries after a retryable failure (lost socket, timeout, INTERNAL, RATE_LIMITED after its
   * `retryAfterMs`, but not one longer than a minute: the daily text budget's, until 00:00 UTC,
   * rejects at once). Only for requests that are safe to repeat. `close()` ends a wait between tries:
   * the request then fails with `CLOSED`. @default 0
   */
  readonly retries?: number;
}

/** `request`'s arguments: the fields may be left out when the action needs none. */
export type RequestArgs<N extends ActionName> =
  Partial<RequestInput<N>> extends RequestInput<N>
    ? [fields?: RequestInput<N>, options?: RequestOptions]
    : [fields: RequestInput<N>, options?: RequestOptions];

export interface SendOptions {
  readonly replyTo?: string;
  readonly attachments?: readonly { uploadId: string }[];
  /** @default a fresh id */
  readonly clientMessageId?: string;
}

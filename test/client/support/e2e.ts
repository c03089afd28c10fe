/**
 * Helpers for the client's end-to-end tests on the local stack: clients over the real `ws` package,
 * sockets the test can cut (client side, or by dropping a reply with the network), server-side
 * closes through the Management API, gates that keep a client offline, and the server's truth.
 */
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import {
  type ChatClient,
  type ClientOptions,
  connect,
  type Message,
  type WebSocketLike,
} from '../../../client/src/index.ts';
import { setWriteTiming, type WriteTiming } from '../../../lambdas/domain/timing.ts';
import { ACTION_ROUTES } from '../../../lib/routes.ts';
import { eventually } from '../../support/client.ts';
import { type TestStack, uniqueId } from '../../support/stack.ts';

/**
 * Whether the server half of issue 10 is deployed (`sync`, `markDelivered`, `react`): the local stack
 * serves every action of the route table that is not `planned`; the others answer UNKNOWN_ACTION.
 */
export const SERVER_HAS = {
  sync: ACTION_ROUTES.sync !== 'planned',
  markDelivered: ACTION_ROUTES.markDelivered !== 'planned',
  react: ACTION_ROUTES.react !== 'planned',
};

/**
 * The write path's bounds for the handlers of this process (lambdas/domain/timing.ts
 * `setWriteTiming`), shortened for a file whose clients wait for a chat's versions to settle: a
 * `sync` cursor passes a version only once its settle window (write deadline + skew margin: 6 s) has
 * passed, or the chat head has been quiet for allocation timeout + that (14 s), so a client that
 * catches up a chat just written waits that long. Here 3.5 s and 6.5 s: the same rules, in the same
 * order (settle window < head quiet; write deadline < claim deadline, which stays 9 s), still ~1,000
 * times what a write to DynamoDB Local takes.
 */
export const SHORT_WRITE_TIMING: Partial<WriteTiming> = {
  allocTimeoutMs: 3000,
  writeDeadlineMs: 3000,
  skewMarginMs: 500,
};

/** Shortens the write path's bounds for the file (SHORT_WRITE_TIMING); the defaults again after it. */
export function useShortWriteTiming(): void {
  beforeAll(() => setWriteTiming(SHORT_WRITE_TIMING));
  afterAll(() => setWriteTiming(undefined));
}

/** What a socket of a family saw: a frame sent (`out`) or received (`in`), or its close. */
export interface WireEvent {
  readonly at: number;
  readonly dir: 'out' | 'in' | 'close';
  readonly frame: Record<string, unknown>;
}

/** A family of sockets (a WebSocket class for the client) the test can watch and cut. */
export function socketFamily() {
  const open = new Set<CuttableSocket>();
  /** Every frame the client sent, parsed. */
  const sent: Record<string, unknown>[] = [];
  /** The wire in time order: frames sent and received (parsed), and closes, with `Date.now()`. */
  const wire: WireEvent[] = [];
  let cutOn: ((frame: Record<string, unknown>) => boolean) | undefined;
  let created = 0;

  class CuttableSocket implements WebSocketLike {
    onopen: ((event: never) => void) | null = null;
    onmessage: ((event: never) => void) | null = null;
    onerror: ((event: never) => void) | null = null;
    onclose: ((event: never) => void) | null = null;
    readonly ws: WebSocket;

    constructor(url: string) {
      created++;
      const ws = new WebSocket(url);
      this.ws = ws;
      ws.onopen = (event) => {
        open.add(this);
        this.onopen?.(event as never);
      };
      ws.onmessage = (event) => {
        const frame = JSON.parse(String(event.data));
        if (cutOn?.(frame)) {
          // The frame is lost with the network: the connection drops before it arrives.
          cutOn = undefined;
          ws.terminate();
          return;
        }
        wire.push({ at: Date.now(), dir: 'in', frame });
        this.onmessage?.(event as never);
      };
      ws.onerror = (event) => this.onerror?.(event as never);
      ws.onclose = (event) => {
        wire.push({ at: Date.now(), dir: 'close', frame: { code: event.code, reason: event.reason } });
        open.delete(this);
        this.onclose?.(event as never);
      };
    }

    send(data: string): void {
      const frame = JSON.parse(data);
      sent.push(frame);
      wire.push({ at: Date.now(), dir: 'out', frame });
      this.ws.send(data);
    }

    close(code?: number, reason?: string): void {
      this.ws.close(code, reason);
    }
  }

  return {
    WebSocket: CuttableSocket,
    open,
    sent,
    wire,
    /** The frames sent of one action. */
    requests: (action: string) => sent.filter((f) => f.action === action),
    get created() {
      return created;
    },
    /** Drops the next incoming frame that matches, cutting the connection (abrupt TCP drop). */
    cutOn(match: (frame: Record<string, unknown>) => boolean) {
      cutOn = match;
    },
    /** Abrupt TCP drops of every open socket, from this side. */
    dropAll() {
      for (const s of open) s.ws.terminate();
    },
  };
}

/** A gate the token function waits at: keeps a client offline until opened. */
export function gate() {
  let open = true;
  let release: () => void = () => undefined;
  let opened = Promise.resolve();
  return {
    close() {
      open = false;
      opened = new Promise((resolve) => {
        release = resolve;
      });
    },
    open() {
      open = true;
      release();
    },
    wait: () => (open ? Promise.resolve() : opened),
  };
}

export interface E2EClientOptions extends Partial<ClientOptions> {
  readonly gate?: ReturnType<typeof gate>;
}

/** A client of `userId` on the stack, with a fresh token (and gate) on every connect. */
export function clientFor(stack: TestStack, userId: string, options: E2EClientOptions = {}): ChatClient {
  const { gate: g, ...rest } = options;
  return connect({
    url: stack.url,
    token: async () => {
      await g?.wait();
      return stack.token(userId, { name: `Name ${userId}` });
    },
    WebSocket: WebSocket as never,
    requestTimeoutMs: 10_000,
    backoffBaseMs: 100,
    backoffMaxMs: 2000,
    ...rest,
  });
}

/** Closes a user's sockets from the server side (Management API `DELETE @connections/{id}`). */
export async function serverClose(stack: TestStack, userId: string): Promise<number> {
  const ids = await connectionIds(stack, userId);
  for (const id of ids) {
    await fetch(`${stack.managementEndpoint}/@connections/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }
  return ids.length;
}

/** The user's connection ids as the table records them (only those open at the gateway, or all). */
export async function connectionIds(stack: TestStack, userId: string, openOnly = true): Promise<string[]> {
  const items = await stack.items(`USER#${userId}`);
  const live = new Set(stack.gateway.connectionIds);
  return items
    .map((item) => String(item.sk))
    .filter((sk) => sk.startsWith('CONN#'))
    .map((sk) => sk.slice('CONN#'.length))
    .filter((id) => !openOnly || live.has(id));
}

/** Every message of a chat as the server holds it (`history` forward from the start). */
export async function serverHistory(client: ChatClient, chatId: string): Promise<Message[]> {
  const out: Message[] = [];
  let after = 0;
  for (;;) {
    const page = await client.request('history', { chatId, after, limit: 100 }, { retries: 5 });
    out.push(...page.messages);
    const last = page.messages.at(-1);
    if (!page.hasMore || !last) return out;
    after = last.seq;
  }
}

/** Waits until the client is open, caught up and its outbox empty. */
export async function settled(client: ChatClient, timeoutMs = 20_000): Promise<void> {
  let done = false;
  const run = client.settled().then(() => {
    done = true;
  });
  await eventually(() => done, timeoutMs);
  await run;
}

/**
 * The clients a test file makes (`track`), closed after the file (before its stack stops), and
 * `pair`: alice and bob (bob with `options`), settled, in a direct chat bob already holds.
 */
export function useClients(stack: TestStack) {
  const clients: ChatClient[] = [];
  afterAll(() => {
    for (const c of clients) c.close();
  });
  const track = (client: ChatClient): ChatClient => {
    clients.push(client);
    return client;
  };
  const pair = async (prefix: string, options: E2EClientOptions = {}) => {
    const aliceId = uniqueId(`${prefix}-alice`);
    const bobId = uniqueId(`${prefix}-bob`);
    const alice = track(clientFor(stack, aliceId));
    const bob = track(clientFor(stack, bobId, options));
    await Promise.all([settled(alice), settled(bob)]);
    const { chat } = await alice.request('createChat', { kind: 'direct', userId: bobId });
    await eventually(() => bob.chat(chat.chatId) !== undefined);
    return { alice, bob, aliceId, bobId, chatId: chat.chatId };
  };
  return { clients, track, pair };
}

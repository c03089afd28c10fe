/**
 * The client end to end on the local stack (real gateway, handlers, DynamoDB Local, `ws` sockets,
 * real tokens): typed requests and events, refused handshakes, reconnects after server-side closes,
 * abrupt drops and 1001, the outbox across lost sockets and lost acks, catch-up and resume.
 * Tests that need the server half of issue 10 (`sync`, `markDelivered`) are in e2e-sync.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatClient, ChatClientError, MemoryStore, type StateChange } from '../../client/src/index.ts';
import { eventually } from '../support/client.ts';
import { startTestStack, type TestStack, uniqueId, useTestStack } from '../support/stack.ts';
import {
  clientFor,
  connectionIds,
  gate,
  serverClose,
  serverHistory,
  settled,
  socketFamily,
  useClients,
} from './support/e2e.ts';

const stack = useTestStack();
const { clients, track, pair } = useClients(stack);

const texts = (client: ChatClient, chatId: string) => client.messages(chatId).map((m) => m.text);

describe('typed requests and events', () => {
  it('acks, events into the local state, and typed errors naming the field', async () => {
    const { alice, bob, chatId } = await pair('typed');
    const created: string[] = [];
    bob.on('message.created', (e) => created.push(e.message.text));
    const message = await alice.sendMessage(chatId, 'Hi Bob!');
    expect(message).toMatchObject({ chatId, seq: 1, text: 'Hi Bob!' });
    await eventually(() => texts(bob, chatId).length === 1);
    expect(texts(bob, chatId)).toEqual(['Hi Bob!']);
    expect(created).toEqual(['Hi Bob!']);
    expect(alice.messages(chatId)).toEqual(bob.messages(chatId));

    const notFound = await alice.request('getChat', { chatId: 'c_nope' }).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ChatClientError);
    expect(notFound).toMatchObject({ code: 'NOT_FOUND', action: 'getChat' });
    const bad = await alice.request('history', { chatId, limit: 1000 }).catch((e: ChatClientError) => e);
    expect(bad).toMatchObject({ code: 'BAD_REQUEST' });
    expect((bad as ChatClientError).message).toContain('"limit"');
    expect(alice.state).toBe('open');
  });
});

describe('refused handshakes', () => {
  it('a token the server refuses (401): the token function is asked once more, then the client stops', async () => {
    let calls = 0;
    const states: StateChange[] = [];
    const client = track(
      clientFor(stack, uniqueId('refused'), {
        token: async () => {
          calls++;
          return stack.token('someone', { secret: 'not-the-secret' });
        },
      }),
    );
    client.on('state', (s) => states.push(s));
    await eventually(() => client.state === 'closed');
    expect(states.at(-1)).toMatchObject({ state: 'closed', reason: 'unauthorized', status: 401 });
    expect(calls).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(calls).toBe(2);
  });
});

describe('reconnecting and catching up', () => {
  it('a server-side close (DeleteConnection): reconnects and catches up what was sent meanwhile', async () => {
    const g = gate();
    const { alice, bob, bobId, chatId } = await pair('deleted', { gate: g });
    const states: StateChange[] = [];
    bob.on('state', (s) => states.push(s));
    g.close();
    expect(await serverClose(stack, bobId)).toBe(1);
    await eventually(() => bob.state === 'reconnecting');
    for (const text of ['one', 'two', 'three']) await alice.sendMessage(chatId, text);
    g.open();
    await settled(bob);
    expect(states[0]).toMatchObject({ state: 'reconnecting', code: 1000 });
    expect(texts(bob, chatId)).toEqual(['one', 'two', 'three']);
    expect(bob.messages(chatId)).toEqual(await serverHistory(bob, chatId));
    expect(bob.stats.reconnects).toBe(1);
  });

  it('an abrupt drop before an ack arrives: the send is resent with its clientMessageId and stored once', async () => {
    const sockets = socketFamily();
    const { alice, chatId, bob } = await pair('lostack');
    const carol = track(clientFor(stack, alice.userId, { WebSocket: sockets.WebSocket }));
    await settled(carol);
    sockets.cutOn((frame) => frame.type === 'ack' && frame.action === 'sendMessage');
    const message = await carol.sendMessage(chatId, 'sent twice, stored once', {
      clientMessageId: 'cm-lost',
    });
    expect(carol.stats).toMatchObject({ resends: 1, serverDuplicates: 1, reconnects: 1 });
    const history = await serverHistory(alice, chatId);
    expect(history.filter((m) => m.clientMessageId === 'cm-lost')).toEqual([message]);
    await eventually(() => texts(bob, chatId).length === 1);
    expect(texts(bob, chatId)).toEqual(['sent twice, stored once']);
  });

  it('sends made offline are delivered after reconnecting, in order, exactly once', async () => {
    const g = gate();
    const sockets = socketFamily();
    const { alice, bob, chatId } = await pair('offline', { gate: g, WebSocket: sockets.WebSocket });
    g.close();
    sockets.dropAll();
    await eventually(() => bob.state === 'reconnecting');
    const sends = ['a', 'b', 'c', 'd', 'e'].map((t) => bob.sendMessage(chatId, t));
    expect(bob.pending(chatId)).toHaveLength(5);
    g.open();
    const stored = await Promise.all(sends);
    expect(stored.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    await eventually(() => texts(alice, chatId).length === 5);
    expect(texts(alice, chatId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect((await serverHistory(alice, chatId)).map((m) => m.text)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('resumes from its store after a restart: only what is new is fetched and told to the app', async () => {
    const store = new MemoryStore();
    const { alice, bobId, chatId, bob } = await pair('resume', { store });
    for (const text of ['old 1', 'old 2']) await alice.sendMessage(chatId, text);
    await eventually(() => texts(bob, chatId).length === 2);
    await settled(bob);
    bob.close();
    await alice.sendMessage(chatId, 'new while closed');
    const again = track(clientFor(stack, bobId, { store }));
    const told: string[] = [];
    again.on('messages', (c) => told.push(...c.messages.map((m) => m.text)));
    await settled(again);
    expect(texts(again, chatId)).toEqual(['old 1', 'old 2', 'new while closed']);
    expect(told).toEqual(['new while closed']);
    expect(again.stats.catchUpRequests).toBe(1);
  });
});

describe('a socket that opens while its user is sent a message', () => {
  let slow: TestStack;
  let slowConnect = false;
  beforeAll(async () => {
    // `$connect` takes a while after storing the connection (as under load, or with many peers to
    // announce presence to): the window in which the race below happens.
    slow = await startTestStack({
      wrapLoader: (routeKey, load) =>
        routeKey !== '$connect'
          ? load
          : async () => {
              const handler = await load();
              return async (event: unknown, context: unknown) => {
                const result = await handler(event, context);
                if (slowConnect) await new Promise((resolve) => setTimeout(resolve, 1500));
                return result;
              };
            },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close(); // before the stack stops, or they would reconnect to it
    await slow?.stop();
  });

  // KNOWN SERVER BUG (fan-out, not the client): a post to a connection still in `$connect` gets 410
  // (on AWS too), and the fan-out then deletes the connection record it just found, so the new
  // socket opens deaf: no event reaches it until it reconnects. `it.fails` until the fan-out keeps
  // records of connections that are still connecting; then make it a plain `it`.
  it.fails('KNOWN SERVER BUG: keeps receiving events', async () => {
    const aliceId = uniqueId('race-alice');
    const bobId = uniqueId('race-bob');
    const alice = track(clientFor(slow, aliceId));
    await settled(alice);
    const { chat } = await alice.request('createChat', { kind: 'direct', userId: bobId });
    slowConnect = true;
    const bob = track(clientFor(slow, bobId));
    await eventually(async () => (await connectionIds(slow, bobId, false)).length === 1);
    await alice.sendMessage(chat.chatId, 'while bob connects');
    await settled(bob);
    slowConnect = false;
    await alice.sendMessage(chat.chatId, 'after bob connected');
    await eventually(() => texts(bob, chat.chatId).length === 2, 5000);
  });
});

describe('1001 from the gateway (2-hour limit, shortened)', () => {
  let short: TestStack;
  beforeAll(async () => {
    short = await startTestStack({ limits: { maxConnectionMs: 1500 } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await short?.stop();
  });

  it('reconnects with backoff after each 1001 and keeps receiving', async () => {
    const aliceId = uniqueId('limit-alice');
    const bobId = uniqueId('limit-bob');
    const alice = track(clientFor(short, aliceId));
    const bob = track(clientFor(short, bobId));
    const codes: (number | undefined)[] = [];
    bob.on('state', (s) => {
      if (s.state === 'reconnecting') codes.push(s.code);
    });
    await Promise.all([settled(alice), settled(bob)]);
    const { chat } = await alice.request('createChat', { kind: 'direct', userId: bobId }, { retries: 3 });
    for (let i = 1; i <= 8; i++) {
      await alice.sendMessage(chat.chatId, `m${i}`);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    // Eventually rather than settled: a socket made deaf by the server race above is cured by the
    // next 1001 at most 1.5 s later.
    const all = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'];
    await eventually(() => texts(bob, chat.chatId).length === all.length, 15_000);
    expect(codes.length).toBeGreaterThanOrEqual(1);
    expect(codes.every((code) => code === 1001)).toBe(true);
    expect(texts(bob, chat.chatId)).toEqual(all);
  });
});

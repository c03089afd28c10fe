/**
 * DynamoDB stopped and restarted mid-traffic. This file runs its own DynamoDB Local (data in a temp
 * folder so it survives the restart, on a fixed port so the restart reuses it) and a stack on it.
 * While alice sends with clientMessageIds, DynamoDB Local is stopped and started again. Every send
 * is answered (ack or error frame, none hangs); nothing is half-applied; the system recovers by
 * itself; retrying the failed sends with the same clientMessageId ends with exactly one stored
 * message per clientMessageId, in strictly increasing seqs; seqs whose messages could not be stored
 * hold voids, which no reader returns and no unread count includes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoLocal, startDynamoLocal } from '../../local/dynamodb.ts';
import { connectUsers, type Message, makeDirect, settle, type UserSocket } from '../support/chat.ts';
import type { Frame } from '../support/client.ts';
import { sleep } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';

let dir: string;
let port: number;
let dynamo: DynamoLocal | undefined;
let alice: UserSocket;
let bob: UserSocket;
let chatId: string;

/** No reply within this bound counts as a hang. */
const REPLY_BOUND_MS = 20_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ddb-restart-'));
  // A free port picked by the start itself (picked again should another process take it first);
  // the restart reuses it.
  dynamo = await startDynamoLocal({ dbPath: dir });
  port = dynamo.port;
}, 90_000);
afterAll(async () => {
  await dynamo?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** The stack on this file's own DynamoDB Local (started by the hook above). */
const stack = useTestStack(() => ({ dynamoEndpoint: (dynamo as DynamoLocal).endpoint }));

beforeAll(async () => {
  [alice, bob] = (await connectUsers(stack, 2, 'restart')) as [UserSocket, UserSocket];
  chatId = (await makeDirect(alice, bob.userId)).chatId;
  await settle(stack, alice, bob);
}, 90_000);

afterAll(async () => {
  await Promise.all([alice, bob].map((s) => s?.close()));
});

async function send(clientMessageId: string): Promise<Frame> {
  return alice.request(
    'sendMessage',
    { chatId, text: `text of ${clientMessageId}`, clientMessageId },
    REPLY_BOUND_MS,
  );
}

async function fullHistory(socket: UserSocket): Promise<Message[]> {
  const out: Message[] = [];
  let after = 0;
  for (;;) {
    const page = await socket.ok('history', { chatId, after, limit: 100 });
    const messages = page.messages as Message[];
    out.push(...messages);
    if (!page.hasMore || messages.length === 0) return out;
    after = (messages.at(-1) as Message).seq;
  }
}

describe('DynamoDB Local stopped and restarted mid-traffic', () => {
  it('answers every send, applies none by halves, recovers, and retries end with one message per clientMessageId', async () => {
    const first = new Map<string, Promise<Frame>>();
    let n = 0;
    const sendNext = () => {
      const id = `cm-${String(n++).padStart(3, '0')}`;
      first.set(id, send(id));
    };

    // Traffic before the outage.
    for (let i = 0; i < 5; i++) {
      sendNext();
      await sleep(40);
    }
    // Stop DynamoDB Local while sends keep coming.
    const stopping = (dynamo as DynamoLocal).stop();
    for (let i = 0; i < 5; i++) {
      sendNext();
      await sleep(40);
    }
    await stopping;
    dynamo = undefined;
    for (let i = 0; i < 5; i++) {
      sendNext();
      await sleep(60);
    }
    // Start it again on the same port and folder, sending while it boots.
    const restarting = startDynamoLocal({ port, dbPath: dir });
    let booted = false;
    void restarting.then(() => {
      booted = true;
    });
    while (!booted && n < 60) {
      sendNext();
      await sleep(150);
    }
    dynamo = await restarting;
    for (let i = 0; i < 5; i++) {
      sendNext();
      await sleep(40);
    }

    // 1. Every send was answered within the bound: an ack or an error frame, nothing else.
    const replies = new Map<string, Frame>();
    for (const [id, reply] of first) replies.set(id, await reply);
    for (const [id, reply] of replies) {
      expect(['ack', 'error'], `${id}: ${JSON.stringify(reply)}`).toContain(reply.type);
      if (reply.type === 'error') expect(reply.code).toMatch(/^(INTERNAL|RATE_LIMITED|CONFLICT)$/);
    }
    const failed = [...replies].filter(([, r]) => r.type === 'error').map(([id]) => id);
    const acked = [...replies].filter(([, r]) => r.type === 'ack');
    // The outage was real: some sends failed, and some went through before and after it.
    expect(failed.length).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(0);

    // 2. The system recovers by itself: no restart of the stack, the next requests just work.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = await alice.request('history', { chatId, limit: 1 }, REPLY_BOUND_MS);
      if (probe.type === 'ack') break;
      if (Date.now() > deadline) throw new Error(`no recovery: ${JSON.stringify(probe)}`);
      await sleep(200);
    }

    // 3. Retrying every failed send with the same clientMessageId succeeds.
    const final = new Map<string, Message>();
    for (const [id, reply] of acked) final.set(id, reply.message as Message);
    // (A send that failed after claiming its clientMessageId may leave the claim behind: a retry
    // answers CONFLICT until the claim is stale, about 10 s, as a client keeps retrying.)
    for (const id of failed) {
      let reply = await send(id);
      for (const until = Date.now() + 60_000; reply.type !== 'ack' && Date.now() < until; ) {
        await sleep(500);
        reply = await send(id);
      }
      expect(reply.type, `${id}: ${JSON.stringify(reply)}`).toBe('ack');
      final.set(id, reply.message as Message);
    }

    // 4. Exactly one stored message per clientMessageId, in strictly increasing seqs. A seq whose
    // put could not land (the outage) holds a void: never returned, never counted as unread.
    const history = await fullHistory(bob);
    expect(history).toHaveLength(n);
    const seqs = history.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(n);
    expect(new Set(history.map((m) => m.clientMessageId)).size).toBe(n);
    for (const m of history) {
      expect(m.text).toBe(`text of ${m.clientMessageId}`);
      // Whatever the ack said is what is stored (first ack, or the retry's original).
      expect(final.get(String(m.clientMessageId))).toEqual(m);
    }

    // 5. In the table: every seq up to lastSeq holds a message or a void (history filled the gaps
    // that writers left), voids are exactly META's voidSeqs, one claim per clientMessageId.
    const items = await stack.items(`CHAT#${chatId}`);
    const slots = items.filter((i) => String(i.sk).startsWith('MSG#'));
    const voids = slots.filter((i) => i.void === true).map((i) => Number(i.seq));
    const meta = items.find((i) => i.sk === 'META') as { lastSeq: number; voidSeqs?: Set<number> };
    expect(slots.filter((i) => i.void !== true)).toHaveLength(n);
    expect(meta.lastSeq).toBe(n + voids.length);
    expect(slots.map((i) => Number(i.seq)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: meta.lastSeq }, (_, i) => i + 1),
    );
    expect([...(meta.voidSeqs ?? [])].sort((a, b) => a - b)).toEqual(voids.sort((a, b) => a - b));
    const claims = items.filter((i) => String(i.sk).startsWith('CMID#'));
    expect(claims.map((c) => String(c.sk).split('#').at(-1)).sort()).toEqual(
      history.map((m) => String(m.clientMessageId)).sort(),
    );
    const chat = (await bob.ok('getChat', { chatId })).chat as { lastSeq: number };
    expect(chat.lastSeq).toBe(meta.lastSeq);
    // No phantom unread: bob has read nothing, and exactly the n messages count.
    const summary = ((await bob.ok('listChats')).chats as { chatId: string; unreadCount: number }[]).find(
      (c) => c.chatId === chatId,
    );
    expect(summary?.unreadCount).toBe(n);

    // 6. Sending any of them again is a duplicate with the stored original.
    for (const id of [...replies.keys()].slice(0, 10)) {
      const again = await send(id);
      expect(again).toMatchObject({ type: 'ack', duplicate: true, message: final.get(id) });
    }
  }, 180_000);
});

/**
 * markDelivered on a fake socket and a fake server: once per interval per chat, one in flight per
 * chat, what happens when it fails, and a receipt due when the client closed (sent by the next run);
 * and the read receipts refreshed after a reconnect (not in a group of more members than listed:
 * its listed members' cursors come from a getChat the app asks for, sync-get-chat.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../client/src/index.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

describe('markDelivered', () => {
  it('goes out at most once per interval per chat, for messages of others only', async () => {
    server.chat('a');
    const { client } = await started();
    const socket = FakeSocket.last;
    for (let i = 0; i < 3; i++) socket.push({ type: 'message.created', message: server.add('a', `x${i}`) });
    await serveAll(3);
    expect(server.requests('markDelivered').map((r) => r.seq)).toEqual([3]);
    for (let i = 0; i < 3; i++) socket.push({ type: 'message.created', message: server.add('a', `y${i}`) });
    await serveAll(3);
    expect(socket.requests('markDelivered')).toHaveLength(1);
    await flush(3000);
    await serveAll(3);
    expect(server.requests('markDelivered').map((r) => r.seq)).toEqual([3, 6]);
    const mine = client.sendMessage('a', 'mine');
    await serveAll(3);
    await mine;
    await flush(10_000);
    expect(socket.requests('markDelivered')).toHaveLength(2);
  });

  it('due when the client closed: the next run on the same store sends it (of the newest message of others)', async () => {
    server.chat('a');
    server.chat('b');
    const store = new MemoryStore();
    const first = await started({ store });
    const socket = FakeSocket.last;
    for (const chatId of ['a', 'b'])
      socket.push({ type: 'message.created', message: server.add(chatId, 'one') });
    await serveAll(3);
    for (const chatId of ['a', 'b'])
      socket.push({ type: 'message.created', message: server.add(chatId, 'two') });
    // In a: one's own message after it (the receipt is still of 'two').
    const mine = first.client.sendMessage('a', 'mine');
    await serveAll(3);
    await mine;
    await first.client.close(); // the receipts of 'two' waited for the interval
    const receipts = (s: FakeSocket) => s.requests('markDelivered').map((r) => `${r.chatId}:${r.seq}`);
    expect(receipts(socket)).toEqual(['a:1', 'b:1']);
    await started({ store });
    await flush(3000);
    await serveAll(3);
    expect(receipts(FakeSocket.last).sort()).toEqual(['a:2', 'b:2']);
  });
});

describe('markDelivered in flight', () => {
  it('one per chat at a time: messages while it is unanswered send no other; once answered, the newest goes out', async () => {
    server.chat('a');
    await started();
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: server.add('a', 'x') });
    await flush(3000);
    expect(socket.requests('markDelivered').map((r) => r.seq)).toEqual([1]);
    // Not answered yet (a slow server, or held by the rate-limit gate): more messages, more time.
    for (let i = 0; i < 3; i++) {
      socket.push({ type: 'message.created', message: server.add('a', `y${i}`) });
      await flush(2000);
    }
    expect(socket.requests('markDelivered')).toHaveLength(1);
    await serveAll(3); // answered: the messages that came meanwhile get their receipt
    await flush(3000);
    await serveAll(3);
    expect(socket.requests('markDelivered').map((r) => r.seq)).toEqual([1, 4]);
  });
});

/** Answers every unanswered markDelivered on `socket` with INTERNAL. */
function failReceipts(socket: FakeSocket): void {
  for (const r of socket.requests('markDelivered').filter((r) => !server.answered.has(r.requestId))) {
    socket.error(r as Sent, 'INTERNAL');
    server.answered.add(r.requestId);
  }
}

describe('markDelivered that fails', () => {
  it('for a reason that passes: messages that came while it was in flight get theirs afterwards', async () => {
    server.chat('a');
    await started();
    const socket = FakeSocket.last;
    socket.push({ type: 'message.created', message: server.add('a', 'x') });
    await flush(3000);
    expect(socket.requests('markDelivered').map((r) => r.seq)).toEqual([1]);
    for (let i = 0; i < 3; i++) {
      socket.push({ type: 'message.created', message: server.add('a', `y${i}`) });
      await flush(500);
    }
    // INTERNAL on every attempt of it.
    for (let attempt = 0; attempt < 3; attempt++) {
      failReceipts(socket);
      await flush(6000);
    }
    await flush(60_000);
    await serveAll();
    expect(socket.requests('markDelivered').at(-1)?.seq).toBe(4);
  });
});

describe('markDelivered that keeps failing', () => {
  it('backs off per chat, doubling up to 48 s, and sends again at the interval once one is answered', async () => {
    server.chat('a');
    await started();
    const socket = FakeSocket.last;
    const failAll = async (ms: number) => {
      for (let t = 0; t < ms; t += 500) {
        failReceipts(socket);
        await flush(500);
      }
    };
    socket.push({ type: 'message.created', message: server.add('a', 'x') });
    await failAll(10 * 60_000);
    // 3 frames an attempt (the requester retries twice); 3 s, 6, 12, 24, then every 48 s: about 15.
    const frames = socket.requests('markDelivered').length;
    expect(frames).toBeGreaterThan(20);
    expect(frames).toBeLessThan(60);
    // The server recovers: the next attempt (within 48 s) is answered, and the next message's
    // receipt goes out at the normal interval.
    for (let t = 0; t < 50_000; t += 1000) {
      server.serve(socket);
      await flush(1000);
    }
    const answered = socket.requests('markDelivered').length;
    socket.push({ type: 'message.created', message: server.add('a', 'y') });
    await flush(3000);
    await serveAll(3);
    expect(
      socket
        .requests('markDelivered')
        .slice(answered)
        .map((r) => r.seq),
    ).toEqual([2]);
  });
});

describe('read receipts after a reconnect', () => {
  /** getChat requests over three reconnects, after the user's own message that someone has not read. */
  async function getChatsPerReconnect(others: string[]) {
    server.chat('g', others);
    const { client } = await started();
    const sent = client.sendMessage('g', 'hello everyone');
    await serveAll();
    await sent;
    const counts: number[] = [];
    for (let r = 0; r < 3; r++) {
      const before = server.requests('getChat').length;
      FakeSocket.last.serverClose(1001);
      await flush(20_000);
      FakeSocket.last.open();
      await serveAll();
      counts.push(server.requests('getChat').length - before);
    }
    return { client, counts };
  }

  it('refreshes a group whose members are all listed, at each reconnect its ticks can have moved', async () => {
    const { counts } = await getChatsPerReconnect(['bob', 'carol']);
    expect(counts).toEqual([1, 1, 1]);
  });

  it('skips a group of more members than listed (over 200: others’ reads are not told)', async () => {
    const { client, counts } = await getChatsPerReconnect(Array.from({ length: 999 }, (_, i) => `u${i}`));
    expect(client.chat('g')).toMatchObject({ memberCount: 1000 });
    expect(client.chat('g')?.members).toHaveLength(200);
    expect(counts).toEqual([0, 0, 0]);
  });
});

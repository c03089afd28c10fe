/**
 * Read cursors of a scheduled message going out (its clientMessageId `sched_…`), on a fake socket and
 * a fake server: unlike a message sent just now, it moves no one's read cursor — not its sender's as
 * other members see it (no read ticks they never made), nor the author's own (what others sent
 * meanwhile stays unread) — and it is never unread for its author (docs/protocol.md, Scheduled
 * messages).
 */
import { describe, expect, it } from 'vitest';
import { FakeSocket } from './support/fake-socket.ts';
import { serveAll, server, started, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

const readBy = (client: Awaited<ReturnType<typeof started>>['client'], userId: string) =>
  client.chat('a')?.members?.find((m) => m.userId === userId)?.lastReadSeq;

describe('a scheduled message going out', () => {
  it('moves no read cursor: neither its sender’s as others see it, nor its author’s own', async () => {
    server.chat('a', ['bob', 'carol']);
    const { client } = await started();
    const socket = FakeSocket.last;
    expect(readBy(client, 'bob')).toBe(0);

    socket.push({ type: 'message.created', message: server.add('a', 'c1', 'carol') });
    socket.push({ type: 'message.created', message: server.add('a', 'later', 'bob', 'sched_s1.x') });
    await serveAll();
    // Carol's send counts as her having read up to it; bob's scheduled one does not.
    expect(readBy(client, 'carol')).toBe(1);
    expect(readBy(client, 'bob')).toBe(0);

    // The user's own scheduled message: their cursor stays, the two of others stay unread, and
    // their own does not count.
    socket.push({ type: 'message.created', message: server.add('a', 'mine, later', 'me', 'sched_s2.y') });
    await serveAll();
    expect(client.chat('a')).toMatchObject({ lastSeq: 3, lastReadSeq: 0, unreadCount: 2 });
    // A message the user sends now moves it (everything before counts as read).
    socket.push({ type: 'message.created', message: server.add('a', 'now', 'me', 'c-now') });
    await serveAll();
    expect(client.chat('a')).toMatchObject({ lastSeq: 4, lastReadSeq: 4, unreadCount: 0 });
  });

  it('reading past the user’s own scheduled message counts only the others’ messages read', async () => {
    server.chat('a', ['bob', 'carol']);
    server.add('a', 'b1', 'bob');
    server.add('a', 'mine, later', 'me', 'sched_s3.z');
    server.add('a', 'b3', 'bob');
    server.add('a', 'b4', 'bob');
    // The server's count leaves the user's own scheduled message out.
    const { client } = await started();
    await serveAll();
    expect(client.chat('a')).toMatchObject({ lastSeq: 4, unreadCount: 3 });
    const reading = client.markRead('a', 'a-m3');
    await serveAll();
    await reading;
    expect(client.chat('a')).toMatchObject({ lastReadSeq: 3, unreadCount: 1 });
  });
});

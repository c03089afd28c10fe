/**
 * A ChatInfo handed to the app (`chat()`, `chats()`, the `chat` event) is a snapshot: later read and
 * delivery cursors, and one's own message moving one's read cursor, give the chat a new member list
 * with new member objects, so the one given stays as it was and a memo keyed on `members` sees the
 * change.
 */
import { describe, expect, it } from 'vitest';
import type { ChatInfo } from '../../client/src/index.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

const cursors = (chat: ChatInfo | undefined) =>
  (chat?.members ?? []).map((m) => `${m.userId} ${m.lastReadSeq}/${m.lastDeliveredSeq}`);

describe('the members of a ChatInfo handed out', () => {
  it('are not changed by later cursor events; the next ChatInfo has a new list', async () => {
    server.chat('a');
    server.add('a', 'mine', 'me');
    const { client } = await started();
    const told: (ChatInfo | null)[] = [];
    client.on('chat', ({ chat }) => told.push(chat));
    const before = client.chat('a');
    const listed = client.chats()[0];
    const then = cursors(before);
    expect(then).toContain('bob 0/0');
    FakeSocket.last.push({ type: 'message.delivered', chatId: 'a', userId: 'bob', lastDeliveredSeq: 1 });
    await flush();
    FakeSocket.last.push({ type: 'message.read', chatId: 'a', userId: 'bob', lastReadSeq: 1 });
    await flush();
    expect(cursors(before)).toEqual(then);
    expect(cursors(listed)).toEqual(then);
    expect(cursors(told[0] ?? undefined)).toContain('bob 0/1');
    const after = client.chat('a');
    expect(cursors(after)).toContain('bob 1/1');
    expect(after?.members).not.toBe(before?.members);
    // A cursor that does not move (a late repeat) changes nothing.
    FakeSocket.last.push({ type: 'message.read', chatId: 'a', userId: 'bob', lastReadSeq: 1 });
    await flush();
    expect(client.chat('a')?.members).toBe(after?.members);
  });

  it("are not changed by one's own message moving one's read cursor", async () => {
    server.chat('a');
    const { client } = await started();
    const before = client.chat('a');
    const sent = client.sendMessage('a', 'hello');
    await serveAll();
    await sent;
    expect(cursors(before)).toEqual(['me 0/0', 'bob 0/0']);
    expect(cursors(client.chat('a'))).toEqual(['me 1/0', 'bob 0/0']);
  });
});

/**
 * `muteChat`'s ack changes the chat held at once, and so does `chat.muted` (the same user's mute on
 * another device; `listChats` would bring it only at the next catch-up): `mutedUntil` in `chat()`,
 * a `chat` event, and the store.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../client/src/index.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { server, started, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();

describe('muteChat', () => {
  it("applies the ack's mutedUntil to the chat held, tells the app and stores it", async () => {
    server.chat('a');
    const store = new MemoryStore();
    const { client } = await started({ store });
    expect(client.chat('a')?.mutedUntil).toBeNull();
    const told: (string | null | undefined)[] = [];
    client.on('chat', ({ chatId, chat }) => chatId === 'a' && told.push(chat?.mutedUntil));
    const until = '2026-12-02T07:00:00.000Z';
    const muted = client.request('muteChat', { chatId: 'a', until });
    await flush();
    const request = FakeSocket.last.requests('muteChat')[0] as Sent;
    FakeSocket.last.ack(request, { chatId: 'a', mutedUntil: until });
    await muted;
    expect(client.chat('a')?.mutedUntil).toBe(until);
    await flush();
    expect(told).toEqual([until]);
    expect(store.chats.get('a')?.info.mutedUntil).toBe(until);

    const unmuted = client.request('muteChat', { chatId: 'a', until: null });
    await flush();
    FakeSocket.last.ack(FakeSocket.last.requests('muteChat')[1] as Sent, { chatId: 'a', mutedUntil: null });
    await unmuted;
    expect(client.chat('a')?.mutedUntil).toBeNull();
  });

  it("applies a chat.muted event (the user's mute on another device) as the ack, tells the app and stores it", async () => {
    server.chat('a');
    const store = new MemoryStore();
    const { client } = await started({ store });
    const told: (string | null | undefined)[] = [];
    client.on('chat', ({ chatId, chat }) => chatId === 'a' && told.push(chat?.mutedUntil));
    const asked = FakeSocket.last.requests().length;
    const until = '2026-12-02T07:00:00.000Z';
    FakeSocket.last.push({ type: 'chat.muted', chatId: 'a', mutedUntil: until });
    await flush();
    expect(client.chat('a')?.mutedUntil).toBe(until);
    expect(told).toEqual([until]);
    expect(store.chats.get('a')?.info.mutedUntil).toBe(until);

    FakeSocket.last.push({ type: 'chat.muted', chatId: 'a', mutedUntil: null });
    await flush();
    expect(client.chat('a')?.mutedUntil).toBeNull();
    expect(told).toEqual([until, null]);
    // Nothing was asked for it (no catch-up): the chat is held whole.
    expect(FakeSocket.last.requests().length).toBe(asked);
  });
});

/**
 * A `CONFLICT` that means "busy, please retry" (docs/protocol.md: nothing was written) is retried by
 * the outbox with backoff, for every change but an edit, whose CONFLICT (the message is deleted) is
 * final: a reaction in a burst on one message is not lost.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatClientError, OutboxChange } from '../../client/src/index.ts';
import { FakeServer } from './support/fake-server.ts';
import { FakeSocket, type Sent } from './support/fake-socket.ts';
import { fakeClient, flush } from './support/harness.ts';

let server: FakeServer;

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
  server = new FakeServer();
  server.chat('a');
  server.add('a', 'hi');
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function openClient() {
  const h = fakeClient();
  const outbox: string[] = [];
  h.client.on('outbox', (c: OutboxChange) => outbox.push(`${c.entry.action}:${c.status}`));
  await flush();
  FakeSocket.last.open();
  for (let i = 0; i < 10; i++) {
    await flush();
    server.serve(FakeSocket.last);
  }
  return { ...h, outbox };
}

const busy = '"emoji": message "a-m1" is taking many reactions at once; yours was not added. Please retry.';

describe('outbox CONFLICT', () => {
  it('retries a reaction refused CONFLICT (a burst on one message) until it is stored', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { client, outbox } = await openClient();
    const reacted = client.react('a', 'a-m1', '👍');
    for (let i = 0; i < 3; i++) {
      await flush(10_000);
      const r = FakeSocket.last.requests('react').at(-1) as Sent;
      FakeSocket.last.error(r, 'CONFLICT', { message: busy });
    }
    await flush(10_000);
    const reacts = FakeSocket.last.requests('react');
    expect(reacts).toHaveLength(4);
    expect(reacts.every((r) => r.emoji === '👍' && r.messageId === 'a-m1')).toBe(true);
    const message = {
      ...server.get('a').messages[0],
      reactions: [{ emoji: '👍', count: 1, userIds: ['me'] }],
    };
    FakeSocket.last.ack(reacts[3] as Sent, { message });
    await expect(reacted).resolves.toMatchObject({ reactions: [{ emoji: '👍' }] });
    expect(outbox).toEqual(['react:queued', 'react:sent']);
  });

  it("an edit's CONFLICT (the message is deleted) stays final", async () => {
    const { client, outbox } = await openClient();
    server.remove('a', 1);
    const edit = client.editMessage('a', 'a-m1', 'too late').catch((e: ChatClientError) => e.code);
    await flush();
    server.serve(FakeSocket.last);
    expect(await edit).toBe('CONFLICT');
    await flush(60_000);
    expect(FakeSocket.last.requests('editMessage')).toHaveLength(1);
    expect(outbox).toEqual(['editMessage:queued', 'editMessage:failed']);
  });
});

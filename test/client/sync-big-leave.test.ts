/**
 * A big group's leave of someone the held list does not name needs no sync of its own
 * (client/src/live.ts), unless a catch-up is running: that catch-up's answer may have been read
 * before the leave and would put the member count back, so another runs after it.
 */
import { expect, it } from 'vitest';
import { FakeSocket } from './support/fake-socket.ts';
import { flush } from './support/harness.ts';
import { serveAll, server, started, useSyncHarness } from './support/sync-harness.ts';

useSyncHarness();
const OTHERS = Array.from({ length: 499 }, (_, i) => `u${i}`);

it('an unlisted leave arriving while a sync is in flight ends with the count the server has', async () => {
  const { client } = await started();
  const big = server.chat('big', OTHERS);
  FakeSocket.last.push({ type: 'chat.created', chat: server.view(big) });
  await serveAll();
  expect(client.chat('big')?.memberCount).toBe(500);
  // A message event lost: the next one leaves a hole, caught up after gapMs by a sync.
  server.add('big', 'lost');
  FakeSocket.last.push({ type: 'message.created', message: server.add('big', 'seen') });
  await flush(2500);
  const socket = FakeSocket.last;
  const req = socket.sent.filter((r) => r.action === 'sync' && r.chatId === 'big').at(-1);
  if (!req) throw new Error('no catch-up sync was sent');
  // The server reads the chat for that sync now, before the leave ...
  const reply = server.answer(req);
  server.answered.add(req.requestId);
  // ... u450 (not among the 200 listed) leaves, and its event arrives before the sync's answer.
  big.members = big.members.filter((m) => m.userId !== 'u450');
  big.memberVer = ++big.lastVer;
  socket.push({ type: 'member.left', chatId: 'big', userId: 'u450', ver: big.memberVer });
  expect(client.chat('big')?.memberCount).toBe(499);
  socket.ack(req, reply);
  await flush(10_000);
  await serveAll();
  await flush(60_000);
  await serveAll();
  expect(client.chat('big')?.memberCount).toBe(499);
});

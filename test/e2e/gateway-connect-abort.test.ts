/**
 * A client that goes away while its `$connect` runs (an app killed or backgrounded mid-dial, a
 * phone losing its network): API Gateway runs `$disconnect` for it, so the user is not left online
 * with a connection record no socket answers for (until a post got a 410 and removed it).
 *
 * The socket such a client leaves is not `destroyed` when `$connect` returns: its FIN made it
 * unreadable (readable false, writable true), and `ws` then destroys it during the upgrade without
 * calling back. The first test holds `$connect` until the client is gone; the second aborts real
 * handshakes after a few milliseconds, as a mobile review found them.
 */
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LambdaHandler } from '../../local/gateway.ts';
import { connectUser, makeDirect, storedConnectionIds, type UserSocket } from '../support/chat.ts';
import { deferred } from '../support/client.ts';
import { type TestStack, uniqueId, useTestStack } from '../support/stack.ts';

/** Set by a test: every `$connect` waits for it after the handler has run (records stored). */
let hold: { reached: () => void; release: Promise<void> } | undefined;
/** How many `$connect`s ran. */
let connects = 0;

const stack = useTestStack({
  wrapLoader: (routeKey, load) =>
    routeKey !== '$connect'
      ? load
      : async () => {
          const handler = await load();
          const held: LambdaHandler = async (event, context) => {
            connects++;
            const result = await handler(event, context);
            const current = hold;
            if (current) {
              current.reached();
              await current.release;
            }
            return result;
          };
          return held;
        },
});

/** A raw client dialing as `userId` that swallows its own errors (it is about to be cut off). */
async function dial(userId: string): Promise<WebSocket> {
  const socket = new WebSocket(await stack.urlFor(userId));
  socket.on('error', () => {});
  return socket;
}

async function onlineFor(peer: UserSocket, userId: string): Promise<unknown> {
  const reply = await peer.ok('getPresence', { userIds: [userId] });
  return (reply.presence as { online: boolean }[])[0]?.online;
}

/** The user aborted, so: no record left, offline to the peer, no socket at the gateway. */
async function expectGone(s: TestStack, peer: UserSocket, userId: string, before: string[]): Promise<void> {
  await s.gateway.idle();
  expect(await storedConnectionIds(s, userId)).toEqual([]);
  expect(await onlineFor(peer, userId)).toBe(false);
  expect(s.gateway.connectionIds).toEqual(before);
}

describe('a client gone during $connect', () => {
  it('gets its $disconnect: offline, and no connection record left', async () => {
    const peer = await connectUser(stack);
    const userId = uniqueId('aborts');
    await makeDirect(peer, userId);
    const before = stack.gateway.connectionIds;

    const reached = deferred();
    const release = deferred();
    hold = { reached: reached.resolve, release: release.promise };
    try {
      const socket = await dial(userId);
      await reached.promise; // $connect stored the connection: the user reads online now
      expect(await storedConnectionIds(stack, userId)).toHaveLength(1);
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.terminate();
      await closed;
      await sleep(100); // the client's FIN reaches the gateway's socket
    } finally {
      hold = undefined;
      release.resolve();
    }
    await expectGone(stack, peer, userId, before);
    await peer.close();
  });

  it('after a real handshake cut off at 5 to 50 ms', async () => {
    const peer = await connectUser(stack);
    const userId = uniqueId('aborts');
    await makeDirect(peer, userId);
    const before = stack.gateway.connectionIds;

    for (const ms of [5, 10, 20, 30, 40, 50]) {
      const socket = await dial(userId);
      await sleep(ms);
      socket.terminate();
      await sleep(300); // $connect finishes, the gateway sees the client gone
    }
    await expectGone(stack, peer, userId, before);
    await peer.close();
  });
});

describe('an upgrade request ws would refuse (Sec-WebSocket-Version 12), with a valid token', () => {
  it('gets 400 before $connect runs: no connection record is left behind', async () => {
    const userId = uniqueId('badversion');
    const url = new URL((await stack.urlFor(userId)).replace(/^ws/, 'http'));
    const before = connects;
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(url, {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version': '12',
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    await stack.gateway.idle();
    expect(status).toBe(400);
    expect(await storedConnectionIds(stack, userId)).toEqual([]);
    expect(connects).toBe(before);
  });
});

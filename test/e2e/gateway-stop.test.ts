/**
 * The gateway stopping while a handshake's `$connect` still runs (Ctrl-C in `npm run dev` as an app
 * dials): stop() closed the open sockets, then waited for the handshake, which opened a socket of its
 * own afterwards; the server then never closed, and `npm run dev` ran into its 10 s stop deadline
 * (exit code 1). The gateway now closes its WebSocketServer first: `ws` refuses the late handshake
 * (503), and the `$disconnect` API Gateway runs for a connection that never opened removes the
 * record `$connect` stored.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LambdaHandler } from '../../local/gateway.ts';
import { storedConnectionIds } from '../support/chat.ts';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

/** How long each `$connect` goes on after the handler stored the connection. */
const CONNECT_MS = 800;
/** A stop that has not resolved by then hangs (it did for ever; `npm run dev` gives it 10 s). */
const STOP_BOUND_MS = 4000;
/** Connection ids of the `$connect`s and `$disconnect`s that ran, in order. */
const ran: { readonly routeKey: string; readonly connectionId: string }[] = [];

const connectionIdOf = (event: unknown) =>
  String((event as { requestContext?: { connectionId?: string } }).requestContext?.connectionId);

const stack = useTestStack({
  wrapLoader: (routeKey, load) =>
    routeKey !== '$connect' && routeKey !== '$disconnect'
      ? load
      : async () => {
          const handler = await load();
          const wrapped: LambdaHandler = async (event, context) => {
            const result = await handler(event, context);
            ran.push({ routeKey, connectionId: connectionIdOf(event) });
            if (routeKey === '$connect') await sleep(CONNECT_MS);
            return result;
          };
          return wrapped;
        },
});

describe('stopping the gateway while a $connect runs', () => {
  it('resolves promptly: the handshake is refused and its $disconnect removes the record', async () => {
    // A first handshake loads the handlers, so the stop below waits for $connect and $disconnect
    // only, not for their modules' first import.
    const warm = new WebSocket(await stack.urlFor(uniqueId('warm')));
    await new Promise((resolve, reject) => warm.once('open', resolve).once('error', reject));
    warm.close();
    await eventually(() => stack.gateway.connectionIds.length === 0);
    await stack.gateway.idle();
    ran.length = 0;

    const userId = uniqueId('late');
    const socket = new WebSocket(await stack.urlFor(userId));
    let opened = false;
    const refused = new Promise<string>((resolve) => {
      socket.on('open', () => {
        opened = true;
      });
      socket.on('error', (error) => resolve(error.message));
    });
    await sleep(200);

    const started = Date.now();
    const stopped = stack.gateway.stop().then(() => 'stopped' as const);
    const outcome = await Promise.race([stopped, sleep(STOP_BOUND_MS).then(() => 'hung' as const)]);
    const elapsed = Date.now() - started;
    if (outcome === 'hung') {
      socket.terminate(); // lets the hung stop finish, so the file's teardown does not hang too
      await stopped;
    }

    expect(outcome, `stop() took ${elapsed} ms`).toBe('stopped');
    expect(opened).toBe(false);
    expect(await refused).toMatch(/503/);
    const connects = ran.filter((r) => r.routeKey === '$connect');
    expect(connects).toHaveLength(1);
    const connectionId = connects[0]?.connectionId;
    expect(ran.filter((r) => r.routeKey === '$disconnect' && r.connectionId === connectionId)).toHaveLength(
      1,
    );
    expect(await storedConnectionIds(stack, userId)).toEqual([]);
    expect(stack.gateway.connectionIds).toEqual([]);
  });
});

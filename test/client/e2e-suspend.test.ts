/**
 * `suspend()` (an app sent to the background) against the local stack: the socket closes cleanly, so
 * the server counts the user offline at once (where a socket the OS left open looks alive until the
 * gateway's idle limit, and the user gets no push meanwhile); nothing is dialed until
 * `reconnectNow()`, which catches up and sends what waited in the outbox. A push handler's
 * `syncNow()` opens a socket for its catch-up only: suspended (offline) again once it is done.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/client.ts';
import { useTestStack } from '../support/stack.ts';
import { gate, settled, socketFamily, useClients } from './support/e2e.ts';

const stack = useTestStack();
const { pair } = useClients(stack);

describe('suspend', () => {
  it('closes the socket: the server counts the user offline; nothing is dialed until reconnectNow', async () => {
    const sockets = socketFamily();
    // Counts the token function's calls: one a dial.
    let tokens = 0;
    const counted = gate();
    const wait = counted.wait;
    counted.wait = () => {
      tokens++;
      return wait();
    };
    const { alice, bob, bobId, chatId } = await pair('suspend', {
      gate: counted,
      WebSocket: sockets.WebSocket,
      backoffBaseMs: 10,
      backoffMaxMs: 20,
    });
    const presence = async () => {
      const { presence } = await alice.request('getPresence', { userIds: [bobId] });
      return presence[0]?.online;
    };
    expect(await presence()).toBe(true);
    const states: string[] = [];
    bob.on('state', (s) => states.push(`${s.state}:${s.reason ?? ''}`));

    bob.suspend();
    await eventually(async () => (await presence()) === false);
    expect(bob.state).toBe('reconnecting');
    expect(states).toContain('reconnecting:suspended');
    const dialed = sockets.created;
    const asked = tokens;
    await alice.sendMessage(chatId, 'while you were away');
    const held = bob.sendMessage(chatId, 'written while suspended');
    // Far beyond the backoff (10–20 ms): a suspended client stays off.
    await sleep(300);
    expect(sockets.created).toBe(dialed);
    expect(tokens).toBe(asked);
    expect(sockets.open.size).toBe(0);
    expect(bob.messages(chatId).map((m) => m.text)).not.toContain('while you were away');

    bob.reconnectNow();
    await settled(bob);
    expect(sockets.created).toBe(dialed + 1);
    expect(await presence()).toBe(true);
    expect((await held).text).toBe('written while suspended');
    expect(bob.messages(chatId).map((m) => m.text)).toEqual([
      'while you were away',
      'written while suspended',
    ]);
    await eventually(() => alice.messages(chatId).some((m) => m.text === 'written while suspended'));
  });

  it('syncNow() while suspended (a push woke the app): catches up, then is suspended again', async () => {
    const sockets = socketFamily();
    const { alice, bob, bobId, chatId } = await pair('suspend-sync', {
      WebSocket: sockets.WebSocket,
      backoffBaseMs: 10,
      backoffMaxMs: 20,
    });
    const presence = async () => {
      const { presence } = await alice.request('getPresence', { userIds: [bobId] });
      return presence[0]?.online;
    };
    bob.suspend();
    await eventually(async () => (await presence()) === false);
    await alice.sendMessage(chatId, 'pushed to you');
    const dialed = sockets.created;

    await bob.syncNow();
    expect(bob.messages(chatId).map((m) => m.text)).toEqual(['pushed to you']);
    expect(sockets.created).toBe(dialed + 1);
    // Suspended again: offline for the server (pushes go out), and nothing dialed meanwhile.
    await eventually(async () => (await presence()) === false);
    expect(bob.state).toBe('reconnecting');
    await sleep(300);
    expect(sockets.created).toBe(dialed + 1);
    expect(sockets.open.size).toBe(0);
  });
});

/**
 * A `$connect` racing `deactivateUser`: it claimed its slot before the administrator's marks, and
 * stores its socket only after `deactivateUser` listed the user's sockets (so nothing closes it).
 * Its read of the mark after the store (connections.ts `openConnection`) refuses it instead: the
 * socket record removed, the slot given back, nobody told online (docs/security.md).
 */
import { expect, it } from 'vitest';
import { openConnection } from '../../../lambdas/domain/connections.ts';
import { deactivateUser } from '../../../lambdas/domain/deactivation.ts';
import { caller, fakeDeps, NOW } from './fakes.ts';

it('a $connect that claimed before the mark and stores after the listing is refused, not left open', async () => {
  const { deps, store, fanOut } = fakeDeps();
  const stored = new Set<string>();
  let mark: { userId: string; deactivatedAt: string; actorId: string } | undefined;
  store.socketCount.claim.mockImplementation(async () =>
    mark ? ({ claimed: false, deactivated: true } as const) : ({ claimed: true } as const),
  );
  store.deactivations.mark.mockImplementation(async (record) => {
    mark ??= record;
    return mark;
  });
  store.deactivations.get.mockImplementation(async () => mark);
  store.connections.listIds.mockImplementation(async () => [...stored]);
  store.connections.delete.mockImplementation(async (_userId, connectionId) => stored.delete(connectionId));
  let releasePut!: () => void;
  const putGate = new Promise<void>((r) => (releasePut = r));
  store.connections.put.mockImplementation(async (c) => {
    await putGate; // the put is still in flight while the administrator's call runs
    stored.add(c.connectionId);
  });
  const connecting = openConnection(deps, caller('mallory'), {
    connectionId: 'late',
    connectedAt: new Date(NOW),
  });
  await new Promise((r) => setImmediate(r)); // the claim is made (before the mark)
  expect(store.socketCount.claim).toHaveBeenCalledTimes(1);
  const ack = await deactivateUser(deps, { ...caller('root'), admin: true }, { userId: 'mallory' });
  expect(ack.socketsClosed).toBe(0); // it listed no socket: the put had not landed
  releasePut();
  await expect(connecting).resolves.toBe('deactivated'); // refused as a deactivated user's $connect
  expect([...stored]).toEqual([]);
  expect(store.socketCount.release).toHaveBeenCalledWith('mallory');
  expect(store.rosters.add).not.toHaveBeenCalled();
  expect(fanOut.toUsers).not.toHaveBeenCalled(); // nobody told mallory is online
});

it('a $connect whose mark read fails after the store takes its connection back and fails', async () => {
  const { deps, store } = fakeDeps();
  store.deactivations.get.mockRejectedValue(new Error('DynamoDB down'));
  const input = { connectionId: 'c1', connectedAt: new Date(NOW) };
  await expect(openConnection(deps, caller('ann'), input)).rejects.toThrow('DynamoDB down');
  expect(store.connections.delete).toHaveBeenCalledWith('ann', 'c1');
  expect(store.socketCount.release).toHaveBeenCalledWith('ann');
});

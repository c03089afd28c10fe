/** The per-user socket cap's claim and its repair of a count left high by vanished sockets (issue 17). */
import { describe, expect, it } from 'vitest';
import { CONNECTION_TTL_SECONDS } from '../../../lambdas/data/items.ts';
import { openConnection } from '../../../lambdas/domain/connections.ts';
import { deactivateUser } from '../../../lambdas/domain/deactivation.ts';
import { caller, fakeDeps, NOW } from './fakes.ts';

const ann = caller('ann');
const input = { connectionId: 'new', connectedAt: new Date(NOW) };
const nowSeconds = Math.floor(new Date(NOW).getTime() / 1000);
/** A socket stored `ago` seconds before now. */
const stored = (connectionId: string, ago: number) => ({
  connectionId,
  expiresAt: nowSeconds - ago + CONNECTION_TTL_SECONDS,
});
const full = (claimedAgo: number) =>
  ({ claimed: false, count: 10, rev: 7, claimedAt: nowSeconds - claimedAgo }) as const;

describe('the socket cap', () => {
  it('repairs a count left high by sockets that ended unseen (expired records), then lets the socket in', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.socketCount.claim.mockResolvedValueOnce(full(3600));
    // 10 counted, 8 stored, all open: nothing was removed here, so the repair is on the refusal's revision.
    store.connections.list.mockResolvedValue(Array.from({ length: 8 }, (_, i) => stored(`k${i}`, 600 + i)));
    fanOut.isOpen.mockResolvedValue(true);
    await expect(openConnection(deps, ann, input)).resolves.toBe('opened');
    expect(store.socketCount.claim).toHaveBeenCalledTimes(2);
    expect(store.socketCount.repair).toHaveBeenCalledWith('ann', 7, 8);
    expect(store.connections.put).toHaveBeenCalled();
  });

  it('claims again once the gone sockets it found gave their slots back, without a repair', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.socketCount.claim.mockResolvedValueOnce(full(3600));
    store.connections.list.mockResolvedValue(Array.from({ length: 10 }, (_, i) => stored(`k${i}`, 600 + i)));
    // k3 and k4 answer 410: the fan-out removes their records and releases their slots (directory.ts).
    fanOut.isOpen.mockImplementation(
      async ({ connectionId }) => connectionId !== 'k3' && connectionId !== 'k4',
    );
    await expect(openConnection(deps, ann, input)).resolves.toBe('opened');
    expect(store.socketCount.claim).toHaveBeenCalledTimes(2);
    expect(store.socketCount.repair).not.toHaveBeenCalled();
  });

  it('repairs on the revision read after the gone sockets gave their slots back', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.socketCount.claim
      .mockResolvedValueOnce(full(3600))
      // After the 2 releases another drift is left (a record expired unseen): 10 → 9, not 8.
      .mockResolvedValueOnce({ claimed: false, count: 9, rev: 9, claimedAt: nowSeconds - 3600 });
    store.connections.list.mockResolvedValue(Array.from({ length: 9 }, (_, i) => stored(`k${i}`, 600 + i)));
    fanOut.isOpen.mockImplementation(
      async ({ connectionId }) => connectionId !== 'k3' && connectionId !== 'k4',
    );
    await expect(openConnection(deps, ann, input)).resolves.toBe('opened');
    expect(store.socketCount.repair).toHaveBeenCalledWith('ann', 9, 7);
    expect(store.socketCount.claim).toHaveBeenCalledTimes(3);
  });

  it('refuses, writing nothing, when every stored socket is open or still connecting', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.socketCount.claim.mockResolvedValueOnce(full(3600));
    store.connections.list.mockResolvedValue(Array.from({ length: 10 }, (_, i) => stored(`k${i}`, i * 10)));
    fanOut.isOpen.mockResolvedValue(true);
    await expect(openConnection(deps, ann, input)).resolves.toBe('too-many-sockets');
    // Sockets stored in the last minute are not asked about (the gateway may not know them yet).
    expect(fanOut.isOpen).toHaveBeenCalledTimes(4);
    expect(store.socketCount.repair).not.toHaveBeenCalled();
    expect(store.connections.put).not.toHaveBeenCalled();
    expect(store.profiles.touch).not.toHaveBeenCalled();
  });

  it('does not repair within a minute of the last claim (its socket may not be stored yet)', async () => {
    const { deps, store } = fakeDeps();
    store.socketCount.claim.mockResolvedValueOnce(full(5));
    await expect(openConnection(deps, ann, input)).resolves.toBe('too-many-sockets');
    expect(store.connections.list).not.toHaveBeenCalled();
    expect(store.connections.put).not.toHaveBeenCalled();
  });
});

const deactivated = { claimed: false, deactivated: true } as const;

describe("a deactivated user's claim ($connect; the authorizer reads nothing)", () => {
  it('is refused as deactivated, with no recount and nothing written', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.socketCount.claim.mockResolvedValueOnce(deactivated);
    await expect(openConnection(deps, ann, input)).resolves.toBe('deactivated');
    expect(store.socketCount.claim).toHaveBeenCalledTimes(1);
    expect(store.connections.list).not.toHaveBeenCalled();
    expect(fanOut.isOpen).not.toHaveBeenCalled();
    expect(store.socketCount.repair).not.toHaveBeenCalled();
    expect(store.socketCount.release).not.toHaveBeenCalled();
    expect(store.connections.put).not.toHaveBeenCalled();
    expect(store.profiles.touch).not.toHaveBeenCalled();
  });

  it('is refused when deactivated during a recount: no repair lets them in', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.socketCount.claim.mockResolvedValueOnce(full(3600)).mockResolvedValueOnce(deactivated);
    store.connections.list.mockResolvedValue(Array.from({ length: 10 }, (_, i) => stored(`k${i}`, 600 + i)));
    fanOut.isOpen.mockImplementation(async ({ connectionId }) => connectionId !== 'k3');
    await expect(openConnection(deps, ann, input)).resolves.toBe('deactivated');
    expect(store.socketCount.claim).toHaveBeenCalledTimes(2);
    expect(store.socketCount.repair).not.toHaveBeenCalled();
    expect(store.connections.put).not.toHaveBeenCalled();
  });

  it('is refused as deactivated when the mark came between a repair and the last claim', async () => {
    const { deps, store, fanOut } = fakeDeps();
    store.socketCount.claim.mockResolvedValueOnce(full(3600)).mockResolvedValueOnce(deactivated);
    store.connections.list.mockResolvedValue(Array.from({ length: 8 }, (_, i) => stored(`k${i}`, 600 + i)));
    fanOut.isOpen.mockResolvedValue(true);
    await expect(openConnection(deps, ann, input)).resolves.toBe('deactivated');
    expect(store.socketCount.claim).toHaveBeenCalledTimes(2);
    expect(store.connections.put).not.toHaveBeenCalled();
  });
});

describe('deactivateUser and the socket count', () => {
  it('marks the count before it lists the sockets to close (a racing claim is refused or listed)', async () => {
    const { deps, store } = fakeDeps();
    const admin = { ...caller('root'), admin: true };
    await deactivateUser(deps, admin, { userId: 'ann' });
    expect(store.socketCount.markDeactivated).toHaveBeenCalledWith('ann', new Date(NOW).toISOString());
    const [marked] = store.socketCount.markDeactivated.mock.invocationCallOrder;
    const [listed] = store.connections.listIds.mock.invocationCallOrder;
    expect(marked).toBeLessThan(listed ?? 0);
  });
});

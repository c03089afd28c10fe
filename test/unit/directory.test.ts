/**
 * The fan-out's socket directory over the table: per-user lookups and rosters are both read
 * consistently (a socket stored before the lookup is always found: lambdas/domain/send.ts), and a
 * 410 forgets exactly that socket's items.
 */
import { describe, expect, it, vi } from 'vitest';
import type { SettledDelete } from '../../lambdas/data/connections.ts';
import type { ChatStore } from '../../lambdas/data/store.ts';
import { StoreDirectory } from '../../lambdas/fanout/directory.ts';

function directory() {
  const connections = {
    listIds: vi.fn(async (userId: string) => [`${userId}-1`, `${userId}-2`]),
    deleteIfSettled: vi.fn(async (): Promise<SettledDelete> => 'removed'),
  };
  const rosters = {
    list: vi.fn(async () => [{ userId: 'bob', connectionId: 'k-bob' }]),
    removeIfSettled: vi.fn(async (): Promise<SettledDelete> => 'removed'),
  };
  const socketCount = { release: vi.fn(async () => undefined) };
  const store = { connections, rosters, socketCount } as unknown as Pick<
    ChatStore,
    'connections' | 'rosters' | 'socketCount'
  >;
  return { dir: new StoreDirectory(store, 2), connections, rosters, socketCount };
}

describe('StoreDirectory', () => {
  it('looks each user up once, consistently', async () => {
    const { dir, connections } = directory();
    const targets = await dir.socketsOfUsers(['ann', 'bob', 'ann']);
    expect(targets.map((t) => t.connectionId).sort()).toEqual(['ann-1', 'ann-2', 'bob-1', 'bob-2']);
    expect(connections.listIds.mock.calls).toEqual([
      ['ann', { consistent: true }],
      ['bob', { consistent: true }],
    ]);
  });

  it('looks users up once each, eventually consistently, for a best-effort event; a failed one is left out', async () => {
    const { dir, connections } = directory();
    connections.listIds.mockRejectedValueOnce(new Error('throttled'));
    const targets = await dir.socketsOfUsers(['ann', 'bob'], { bestEffort: true });
    expect(targets.map((t) => t.connectionId).sort()).toEqual(['bob-1', 'bob-2']);
    expect(connections.listIds.mock.calls).toEqual([
      ['ann', { consistent: false }],
      ['bob', { consistent: false }],
    ]);
  });

  it("reads a group's sockets from its roster", async () => {
    const { dir, rosters } = directory();
    await expect(dir.socketsOfGroup('g1')).resolves.toEqual([{ userId: 'bob', connectionId: 'k-bob' }]);
    expect(rosters.list).toHaveBeenCalledWith('g1');
  });

  it('forgets a gone socket and, for a group event, its roster entry', async () => {
    const { dir, connections, rosters, socketCount } = directory();
    await expect(dir.gone({ userId: 'bob', connectionId: 'k-bob' }, 'g1')).resolves.toBe(true);
    // Its record removed here: its slot is given back here ($disconnect will find nothing).
    expect(socketCount.release.mock.calls).toEqual([['bob']]);
    expect(connections.deleteIfSettled).toHaveBeenCalledWith('bob', 'k-bob', expect.any(Number));
    expect(rosters.removeIfSettled).toHaveBeenCalledWith(
      'g1',
      { userId: 'bob', connectionId: 'k-bob' },
      expect.any(Number),
    );
  });

  it('gives no slot back for a record someone else removed, nor for a socket too young to be gone', async () => {
    const { dir, connections, socketCount } = directory();
    connections.deleteIfSettled.mockResolvedValueOnce('absent');
    await expect(dir.gone({ userId: 'bob', connectionId: 'k-bob' }, undefined)).resolves.toBe(true);
    connections.deleteIfSettled.mockResolvedValueOnce('young');
    await expect(dir.gone({ userId: 'bob', connectionId: 'k-new' }, undefined)).resolves.toBe(false);
    expect(socketCount.release).not.toHaveBeenCalled();
  });
});

/**
 * The fan-out's socket directory over the table: per-user lookups and rosters are both read
 * consistently (a socket stored before the lookup is always found: lambdas/domain/send.ts), and a
 * 410 forgets exactly that socket's items.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ChatStore } from '../../lambdas/data/store.ts';
import { StoreDirectory } from '../../lambdas/fanout/directory.ts';

function directory() {
  const connections = {
    listIds: vi.fn(async (userId: string) => [`${userId}-1`, `${userId}-2`]),
    deleteIfSettled: vi.fn(async () => 'removed' as const),
  };
  const rosters = {
    list: vi.fn(async () => [{ userId: 'bob', connectionId: 'k-bob' }]),
    removeIfSettled: vi.fn(async () => 'removed' as const),
  };
  const store = { connections, rosters } as unknown as Pick<ChatStore, 'connections' | 'rosters'>;
  return { dir: new StoreDirectory(store, 2), connections, rosters };
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

  it("reads a group's sockets from its roster", async () => {
    const { dir, rosters } = directory();
    await expect(dir.socketsOfGroup('g1')).resolves.toEqual([{ userId: 'bob', connectionId: 'k-bob' }]);
    expect(rosters.list).toHaveBeenCalledWith('g1');
  });

  it('forgets a gone socket and, for a group event, its roster entry', async () => {
    const { dir, connections, rosters } = directory();
    await expect(dir.gone({ userId: 'bob', connectionId: 'k-bob' }, 'g1')).resolves.toBe(true);
    expect(connections.deleteIfSettled).toHaveBeenCalledWith('bob', 'k-bob', expect.any(Number));
    expect(rosters.removeIfSettled).toHaveBeenCalledWith(
      'g1',
      { userId: 'bob', connectionId: 'k-bob' },
      expect.any(Number),
    );
  });
});

/**
 * The world of the administrators' hostile-frame files (hostile-frames-deactivate, -delete-account):
 * a trio (useTrio) whose file has an administrator socket of its own, and the run of each case as
 * harness.ts checks it (the right error frame, the whole table unchanged, no event, no socket
 * closed, the sender's socket usable). Bob is no administrator: his cases are FORBIDDEN whatever
 * the fields.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { settle, type UserSocket } from '../../support/chat.ts';
import { TestClient } from '../../support/client.ts';
import { uniqueId } from '../../support/stack.ts';
import { type TrioWorld, useTrio } from '../../support/trio.ts';
import { expectRefusedCleanly, type HostileCase, tableSnapshot } from './harness.ts';

export interface AdminWorld {
  /** The file's own administrator socket. */
  admin: UserSocket;
}

export type AdminCase = HostileCase<AdminWorld> & { readonly by?: 'admin' | 'bob' };

/** A frame of `action` with `fields`. */
export const frameOf = (action: string, fields: Record<string, unknown>) => () => ({ action, ...fields });

/** A trio and an administrator of the file's own, closed after it. */
export function useAdminTrio(prefix: string): TrioWorld<AdminWorld> {
  const t = useTrio<AdminWorld>(prefix, async ({ stack }) => {
    const userId = uniqueId(`${prefix}-admin`);
    const client = await TestClient.connect(await stack.urlFor(userId, { roles: ['admin'] }));
    return { admin: Object.assign(client, { userId, name: userId, connectionId: '' }) };
  });
  afterAll(() => t.w.admin.close());
  return t;
}

/** The cases as tests: at least `atLeast` of them, named once each, each refused cleanly. */
export function describeAdminRefusals(
  title: string,
  t: TrioWorld<AdminWorld>,
  cases: readonly AdminCase[],
  atLeast: number,
): void {
  describe(title, () => {
    it('has a case for every refusal of its actions', () => {
      expect(cases.length).toBeGreaterThanOrEqual(atLeast);
      expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    });

    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const everyone = [t.w.admin, t.bob, t.carol];
      await expectRefusedCleanly(
        {
          stack: t.stack,
          attacker: c.by === 'bob' ? t.bob : t.w.admin,
          everyone,
          state: () => tableSnapshot(t.stack, t.doc),
        },
        c,
        t.w,
      );
      await settle(t.stack, ...everyone);
      for (const s of everyone) expect(s.isOpen).toBe(true);
    });
  });
}

/**
 * The typed client refuses, at compile time, a field `deleteAccount` or `deleteUser` does not declare
 * (the server refuses it too: BAD_REQUEST naming it). A misspelt `eraseMessages` must not compile into
 * a deletion that does not erase. The checks are `@ts-expect-error` lines: `tsc -p .` (`npm run
 * typecheck`) fails if one of them compiles. The published declarations (dist) are checked the same
 * way in build.test.ts.
 */
import { expect, it } from 'vitest';
import type { ChatClient } from '../../client/src/index.ts';
import type { RequestInput } from '../../lambdas/contract/index.ts';

/** Never run: what matters is what compiles. */
async function typedOnly(client: ChatClient): Promise<void> {
  await client.request('deleteAccount', { eraseMessages: true });
  await client.request('deleteAccount');
  await client.request('deleteUser', { userId: 'u', eraseMessages: false });
  // @ts-expect-error a misspelt eraseMessages
  await client.request('deleteAccount', { eraseMesages: true });
  // @ts-expect-error deleteAccount takes no userId (deleteUser does)
  await client.request('deleteAccount', { userId: 'u' });
  // @ts-expect-error a misspelt eraseMessages
  await client.request('deleteUser', { userId: 'u', erase: true });
  const input: RequestInput<'deleteAccount'> = { eraseMessages: true };
  // @ts-expect-error no index signature: an unknown field reads as a type error, not as unknown
  void input.userId;
}

it('deleteAccount and deleteUser take only their declared fields (a compile-time check)', () => {
  expect(typeof typedOnly).toBe('function');
});

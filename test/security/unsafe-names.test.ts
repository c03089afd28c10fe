/**
 * Issue 17, item 7: names that do not come through frames — display names from tokens, and the names
 * of groups started by `invite` on a direct chat — are cleaned (no control characters, ANSI escapes,
 * bidi overrides or broken surrogate pairs) or fall back to a neutral name; never an e-mail address.
 * Nothing unsafe is stored.
 */
import { describe, expect, it } from 'vitest';
import { fallbackName } from '../../lambdas/auth/verifier.ts';
import { connectUser } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const safe = (s: string) => !UNSAFE.test(s) && s.isWellFormed();

async function storedName(userId: string): Promise<string> {
  const profile = (await stack.items(`USER#${userId}`)).find((i) => i.sk === 'PROFILE');
  return String(profile?.name);
}

describe('names from tokens and auto-named groups', () => {
  it('cleans a hostile display name, stores only the clean one, and names the group with it', async () => {
    const hostile = `\u0000Mal\u001b[31mlory\u001b[0m\u202egnp.exe\u2066 ${'x'.repeat(126)}\ud83d`;
    const mallory = await connectUser(stack, uniqueId('mallory'), hostile);
    const bob = await connectUser(stack, uniqueId('bob'), 'Bob');
    const carol = await connectUser(stack, uniqueId('carol'), 'Carol');
    const direct = (await mallory.ok('createChat', { kind: 'direct', userId: bob.userId })).chat as {
      chatId: string;
    };
    const group = (await mallory.ok('invite', { chatId: direct.chatId, userIds: [carol.userId] })).chat as {
      name: string;
    };
    const name = await storedName(mallory.userId);
    expect({ name, safe: safe(name) }).toEqual({ name, safe: true });
    expect(name.startsWith('Mallorygnp.exe')).toBe(true);
    expect({ group: group.name, safe: safe(group.name) }).toEqual({ group: group.name, safe: true });
    expect(group.name.startsWith('Mallorygnp.exe')).toBe(true);
    await Promise.all([mallory.close(), bob.close(), carol.close()]);
  });

  it('falls back to the neutral name when nothing printable is left, never to an e-mail address', async () => {
    const blank = await connectUser(stack, uniqueId('blank'), '\u0000\u001b[0m\u202e ');
    expect(await storedName(blank.userId)).toBe(fallbackName(blank.userId));
    const mail = await connectUser(stack, uniqueId('mail'), 'alice@example.com');
    expect(await storedName(mail.userId)).toBe(fallbackName(mail.userId));
    const peer = await connectUser(stack, uniqueId('peer'), 'Peer');
    const third = await connectUser(stack, uniqueId('third'), 'Third');
    const direct = (await blank.ok('createChat', { kind: 'direct', userId: peer.userId })).chat as {
      chatId: string;
    };
    const group = (await blank.ok('invite', { chatId: direct.chatId, userIds: [third.userId] })).chat as {
      name: string;
    };
    expect(group.name).toBe(`${fallbackName(blank.userId)}, Peer, Third`);
    await Promise.all([blank.close(), mail.close(), peer.close(), third.close()]);
  });
});

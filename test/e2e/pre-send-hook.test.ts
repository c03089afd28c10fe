/**
 * The pre-send hook (issue 14) over real sockets, configured as `npm run dev` configures it
 * (`PRE_SEND_HOOK` = a module path): the example word filter denies (FORBIDDEN with its reason,
 * nothing stored) and rewrites (masked words stored and pushed); a hook that answers after the
 * timeout gets the configured fallback, allow or deny; one that rewrites into a text the contract
 * refuses refuses the send. Edits are screened as sends are.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectUser, expectRefused, history, makeGroup, sendText } from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack({
  env: {
    PRE_SEND_HOOK: 'hooks/word-filter.ts',
    WORD_FILTER_DENY: 'forbidden',
    WORD_FILTER_MASK: 'darn,heck',
  },
});

const saved = { ...process.env };
afterEach(() => {
  for (const key of ['PRE_SEND_HOOK', 'PRE_SEND_HOOK_TIMEOUT_MS', 'PRE_SEND_HOOK_FALLBACK', 'SLOW_HOOK_MS']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  process.env.PRE_SEND_HOOK = 'hooks/word-filter.ts';
});

describe('the example word filter', () => {
  it('denies a message with a denied word: FORBIDDEN with its reason, nothing stored', async () => {
    const ann = await connectUser(stack);
    const chat = await makeGroup(ann, [], 'Filtered');
    await expectRefused(
      stack,
      ann,
      'sendMessage',
      { chatId: chat.chatId, text: 'this is Forbidden talk' },
      'FORBIDDEN',
      { message: /not allowed/ },
    );
    expect((await history(ann, chat.chatId)).messages).toEqual([]);
    // A word that merely contains it is fine.
    expect((await sendText(ann, chat.chatId, 'unforbiddenly fine')).text).toBe('unforbiddenly fine');
  });

  it('rewrites: masked words are what is stored and pushed', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Masked');
    const sent = await sendText(ann, chat.chatId, 'Darn it, what the heck');
    expect(sent.text).toBe('D*** it, what the h***');
    const pushed = await bob.event(
      'message.created',
      (f) => (f.message as { seq?: number }).seq === sent.seq,
    );
    expect((pushed.message as { text: string }).text).toBe('D*** it, what the h***');
    expect((await history(bob, chat.chatId)).messages.map((m) => m.text)).toEqual(['D*** it, what the h***']);
    expect((await sendText(ann, chat.chatId, 'all clean')).text).toBe('all clean');
  });
});

describe('edits', () => {
  it('are screened as sends are: a denied word refuses the edit (nothing written), masked words are stored', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Edited');
    const sent = await sendText(ann, chat.chatId, 'hello');
    await expectRefused(
      stack,
      ann,
      'editMessage',
      { chatId: chat.chatId, messageId: sent.messageId, text: 'now forbidden' },
      'FORBIDDEN',
      { message: /not allowed/ },
    );
    const edited = await ann.ok('editMessage', {
      chatId: chat.chatId,
      messageId: sent.messageId,
      text: 'what the heck',
    });
    expect((edited.message as { text: string }).text).toBe('what the h***');
    const pushed = await bob.event(
      'message.updated',
      (f) => (f.message as { seq?: number }).seq === sent.seq,
    );
    expect((pushed.message as { text: string }).text).toBe('what the h***');
  });
});

describe('a rewrite the contract refuses (too long, blank, a control character)', () => {
  it('refuses the send, naming the field: neither the rewrite nor the unfiltered text is stored', async () => {
    const ann = await connectUser(stack);
    const chat = await makeGroup(ann, [], 'Rewritten');
    process.env.PRE_SEND_HOOK = 'test/support/hooks/bad-rewrite-hook.ts';
    const refused = (text: string, message: RegExp) =>
      expectRefused(stack, ann, 'sendMessage', { chatId: chat.chatId, text }, 'FORBIDDEN', { message });
    await refused(`long ${'a'.repeat(3990)}`, /"text" would be longer than 4000 characters once filtered/);
    await refused('blank one', /"text" could not be filtered/);
    await refused('bell one', /"text" could not be filtered/);
    expect((await sendText(ann, chat.chatId, 'fine')).text).toBe('fine');
    expect((await history(ann, chat.chatId)).messages.map((m) => m.text)).toEqual(['fine']);
  });
});

describe('a hook module that cannot be loaded', () => {
  it('fails as a hook that throws: the fallback applies to every send', async () => {
    const ann = await connectUser(stack);
    const chat = await makeGroup(ann, [], 'Broken');
    process.env.PRE_SEND_HOOK = 'test/support/hooks/broken-hook.ts';
    expect((await sendText(ann, chat.chatId, 'allowed anyway')).text).toBe('allowed anyway');
    process.env.PRE_SEND_HOOK_FALLBACK = 'deny';
    await expectRefused(stack, ann, 'sendMessage', { chatId: chat.chatId, text: 'refused' }, 'FORBIDDEN', {
      message: /could not be checked/,
    });
  });
});

describe('the timeout', () => {
  it('falls back to allow (the default), or to deny when configured', async () => {
    const ann = await connectUser(stack);
    const chat = await makeGroup(ann, [], 'Slow');
    process.env.PRE_SEND_HOOK = 'test/support/hooks/slow-hook.ts';
    process.env.PRE_SEND_HOOK_TIMEOUT_MS = '50';
    process.env.SLOW_HOOK_MS = '3000';
    expect((await sendText(ann, chat.chatId, 'allowed after the timeout')).text).toBe(
      'allowed after the timeout',
    );
    process.env.PRE_SEND_HOOK_FALLBACK = 'deny';
    await expectRefused(stack, ann, 'sendMessage', { chatId: chat.chatId, text: 'refused' }, 'FORBIDDEN', {
      message: /could not be checked/,
    });
    expect((await history(ann, chat.chatId)).messages.map((m) => m.text)).toEqual([
      'allowed after the timeout',
    ]);
  });
});

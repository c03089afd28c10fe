/**
 * sendMessage's checks (block, pre-send hook, replyTo) run together with the clientMessageId claim
 * (lambdas/domain/send-checks.ts): the claim does not wait for them, a refusal gives the claim back
 * and allocates nothing, the answer is the refusal the checks gave one after the other, a hook's
 * rewrite is what is stored. (With attachments the claim still comes after the uploads: media.test.ts.)
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { newMessageId } from '../../../lambdas/domain/ids.ts';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { conflict, forbidden } from '../../../lambdas/shared/errors.ts';
import { caller, clock, fakeDeps, groupChat, stored } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

/** The pre-send hook's verdict for the next sends: pass the input on, or what a test sets. */
const hook = vi.hoisted(() => ({
  screen: undefined as undefined | ((input: { text?: string }) => Promise<unknown>),
  timeoutMs: 300,
}));
vi.mock('../../../lambdas/domain/hooks.ts', async (importActual) => ({
  isHookRefusal: (await importActual<typeof import('../../../lambdas/domain/hooks.ts')>()).isHookRefusal,
  configuredHook: () => (hook.screen ? Promise.resolve(hook.screen) : undefined),
  hookSettingsFromEnv: () => ({ timeoutMs: hook.timeoutMs, fallback: 'allow' }),
  screenMessage: async (_caller: unknown, input: { text?: string }) =>
    hook.screen ? hook.screen(input) : input,
}));

const ann = caller('ann');
const ref = { chatId: 'g1', senderId: 'ann', clientMessageId: 'cm-1' };
const send = { chatId: 'g1', text: 'hi', clientMessageId: 'cm-1', connectionId: 'k-ann' };

function withDirect() {
  const fake = fakeDeps();
  fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob'], { kind: 'direct' }));
  return fake;
}

/** A promise the test settles. */
function gate<T>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

beforeEach(() => {
  hook.screen = undefined;
  hook.timeoutMs = 300;
});

describe('sendMessage: the checks and the claim run together', () => {
  it('claims while the block check is still waiting for its answer', async () => {
    const { deps, store } = withDirect();
    const blockAnswer = gate<boolean>();
    store.blocks.isBlocked.mockReturnValue(blockAnswer.promise);
    const sending = sendMessage(deps, ann, send);
    await vi.waitFor(() => expect(store.claims.claim).toHaveBeenCalledTimes(1));
    expect(store.sequence.allocate).not.toHaveBeenCalled(); // nothing allocated before the check answers
    blockAnswer.open(false);
    await expect(sending).resolves.toMatchObject({ duplicate: false, message: { seq: 5 } });
    expect(store.blocks.isBlocked).toHaveBeenCalledWith('bob', 'ann');
    expect(store.claims.release).not.toHaveBeenCalled();
  });

  it('gives the claim back when the peer has blocked the sender, and stores nothing', async () => {
    const { deps, store, fanOut } = withDirect();
    store.blocks.isBlocked.mockResolvedValue(true);
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const token = store.claims.claim.mock.calls[0]?.[1].token;
    expect(store.claims.release).toHaveBeenCalledWith(ref, token);
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(store.messages.put).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it("never shows a blocked sender's text to the hook", async () => {
    const { deps, store } = withDirect();
    store.blocks.isBlocked.mockResolvedValue(true);
    const screened: string[] = [];
    hook.screen = async (input) => {
      screened.push(String(input.text));
      return input;
    };
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(screened).toEqual([]);
    store.blocks.isBlocked.mockResolvedValue(false);
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({ duplicate: false });
    expect(screened).toEqual([send.text]);
  });

  it('reads the block item when a hook is configured, even where the chat mirrors the blocks', async () => {
    const fake = fakeDeps();
    fake.store.chats.getWithMembers.mockResolvedValue(
      groupChat('ann', ['ann', 'bob'], { kind: 'direct', blocksMirrored: true }),
    );
    fake.store.blocks.isBlocked.mockResolvedValue(true);
    const screened: string[] = [];
    hook.screen = async (input) => {
      screened.push(String(input.text));
      return input;
    };
    await expect(sendMessage(fake.deps, ann, send)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(fake.store.blocks.isBlocked).toHaveBeenCalledWith('bob', 'ann');
    expect(screened).toEqual([]);
    expect(fake.store.sequence.allocate).not.toHaveBeenCalled();
  });

  it('reads the block item before a send with attachments claims its uploads, even where the chat mirrors the blocks', async () => {
    const fake = fakeDeps();
    fake.store.chats.getWithMembers.mockResolvedValue(
      groupChat('ann', ['ann', 'bob'], { kind: 'direct', blocksMirrored: true }),
    );
    fake.store.blocks.isBlocked.mockResolvedValue(true);
    const withUpload = { ...send, attachments: [{ uploadId: 'up_aaaaaaaaaaaaaaaaaaaaaaaa' }] };
    await expect(sendMessage(fake.deps, ann, withUpload)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(fake.store.blocks.isBlocked).toHaveBeenCalledWith('bob', 'ann');
    expect(fake.store.uploads.claim).not.toHaveBeenCalled();
    expect(fake.store.sequence.allocate).not.toHaveBeenCalled();
  });

  it('reads the block item when the chat lost its mirror after the head was cached (a repair)', async () => {
    const fake = fakeDeps();
    const mirrored = groupChat('ann', ['ann', 'bob'], { kind: 'direct', blocksMirrored: true });
    fake.store.chats.getWithMembers.mockResolvedValue(mirrored);
    const { blocksMirrored: _, ...unmirrored } = mirrored.chat;
    fake.store.sequence.allocate.mockResolvedValueOnce({ status: 'unmirrored', chat: unmirrored });
    fake.store.blocks.isBlocked.mockResolvedValue(true);
    await expect(sendMessage(fake.deps, ann, send)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(fake.store.sequence.allocate.mock.calls[0]?.[1]).toMatchObject({
      sentBy: 'ann',
      trustsMirror: true,
    });
    expect(fake.store.blocks.isBlocked).toHaveBeenCalledWith('bob', 'ann');
    expect(fake.store.sequence.allocate).toHaveBeenCalledTimes(1);
    expect(fake.store.messages.put).not.toHaveBeenCalled();
    expect(fake.store.claims.release).toHaveBeenCalledTimes(1);

    fake.store.blocks.isBlocked.mockResolvedValue(false);
    fake.store.sequence.allocate.mockResolvedValueOnce({ status: 'unmirrored', chat: unmirrored });
    await expect(sendMessage(fake.deps, ann, send)).resolves.toMatchObject({ duplicate: false });
    expect(fake.store.sequence.allocate.mock.calls.at(-1)?.[1]).toMatchObject({ trustsMirror: false });
  });

  it('allocates again when a transaction held the chat head, writing nothing meanwhile', async () => {
    const { deps, store } = withDirect();
    store.sequence.allocate.mockResolvedValueOnce({ status: 'held' });
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({
      duplicate: false,
      message: { seq: 5 },
    });
    expect(store.sequence.allocate).toHaveBeenCalledTimes(2);
    expect(store.messages.put).toHaveBeenCalledTimes(1);
    expect(store.sequence.fillVoid).not.toHaveBeenCalled();
  });

  it("refuses a blocked sender's duplicate in a chat that mirrors the blocks, as the block check did", async () => {
    const fake = fakeDeps();
    fake.store.chats.getWithMembers.mockResolvedValue(
      groupChat('ann', ['ann', 'bob'], { kind: 'direct', blocksMirrored: true }),
    );
    fake.store.claims.claim.mockResolvedValue({
      status: 'taken',
      claim: { claimedAt: clock.ms - 10, token: 't0' },
    });
    fake.store.messages.findByClientId.mockResolvedValue(stored(2, { clientMessageId: 'cm-1' }));
    await expect(sendMessage(fake.deps, ann, send)).resolves.toMatchObject({ duplicate: true });
    expect(fake.store.blocks.isBlocked).toHaveBeenCalledTimes(1); // only for the duplicate
    fake.store.blocks.isBlocked.mockResolvedValue(true);
    await expect(sendMessage(fake.deps, ann, send)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(fake.store.sequence.allocate).not.toHaveBeenCalled();
  });

  it('gives the claim back when the hook denies the message', async () => {
    const { deps, store } = withDirect();
    hook.screen = async () => {
      throw forbidden('Not here.');
    };
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'Not here.',
    });
    expect(store.claims.release).toHaveBeenCalledWith(ref, store.claims.claim.mock.calls[0]?.[1].token);
    expect(store.sequence.allocate).not.toHaveBeenCalled();
  });

  it("stores the hook's rewrite under the claim made beside it", async () => {
    const { deps, store } = withDirect();
    hook.screen = async (input) => ({ ...input, text: 'h*' });
    const { message } = await sendMessage(deps, ann, send);
    expect(message.text).toBe('h*');
    expect(store.messages.put).toHaveBeenCalledWith(
      expect.objectContaining({ text: 'h*', clientMessageId: 'cm-1' }),
      expect.anything(),
    );
    expect(store.claims.claim).toHaveBeenCalledTimes(1);
    expect(store.claims.release).not.toHaveBeenCalled();
  });

  it('answers the block before the hook and the hook before replyTo, as one after the other did', async () => {
    const { deps, store } = withDirect();
    store.blocks.isBlocked.mockResolvedValue(true);
    store.messages.get.mockResolvedValue(undefined); // replyTo names nothing
    hook.screen = async () => {
      throw forbidden('The hook says no.');
    };
    const withReply = { ...send, replyTo: newMessageId(3) };
    await expect(sendMessage(deps, ann, withReply)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'You cannot send messages in this chat.',
    });
    store.blocks.isBlocked.mockResolvedValue(false);
    await expect(sendMessage(deps, ann, withReply)).rejects.toMatchObject({ message: 'The hook says no.' });
    hook.screen = undefined;
    await expect(sendMessage(deps, ann, withReply)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(store.claims.release).toHaveBeenCalledTimes(3);
    expect(store.sequence.allocate).not.toHaveBeenCalled();
  });

  it('refuses a blocked duplicate without touching the claim another send holds', async () => {
    const { deps, store } = withDirect();
    store.blocks.isBlocked.mockResolvedValue(true);
    store.claims.claim.mockResolvedValue({
      status: 'taken',
      claim: { claimedAt: clock.ms - 10, token: 't0' },
    });
    store.messages.findByClientId.mockResolvedValue(stored(2, { clientMessageId: 'cm-1' }));
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(store.claims.release).not.toHaveBeenCalled();
    expect(store.claims.takeOver).not.toHaveBeenCalled();
  });

  it("answers the checks' refusal when the claim failed too, and the claim's failure when they pass", async () => {
    const { deps, store } = withDirect();
    store.claims.claim.mockRejectedValue(conflict('still being sent'));
    store.blocks.isBlocked.mockResolvedValue(true);
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    store.blocks.isBlocked.mockResolvedValue(false);
    await expect(sendMessage(deps, ann, send)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(store.claims.release).not.toHaveBeenCalled();
    expect(store.sequence.allocate).not.toHaveBeenCalled();
  });

  it('answers the stored original of a duplicate once the checks pass', async () => {
    const { deps, store, fanOut } = withDirect();
    store.claims.claim.mockResolvedValue({
      status: 'taken',
      claim: { claimedAt: clock.ms - 10, token: 't0' },
    });
    // Stored just now: the send that stored it may still be posting.
    store.messages.findByClientId.mockResolvedValue(
      stored(2, { clientMessageId: 'cm-1', allocAt: clock.ms - 10 }),
    );
    const result = await sendMessage(deps, ann, send);
    expect(result).toMatchObject({ duplicate: true, message: { seq: 2 } });
    expect(store.blocks.isBlocked).toHaveBeenCalledTimes(1);
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('claims only after the checks when the hook may take long (its time stays out of the claim deadline)', async () => {
    const { deps, store } = withDirect();
    hook.timeoutMs = 5000;
    const hookAnswer = gate<void>();
    hook.screen = async (input) => {
      await hookAnswer.promise;
      return input;
    };
    const sending = sendMessage(deps, ann, send);
    await vi.waitFor(() => expect(store.blocks.isBlocked).toHaveBeenCalledTimes(1));
    expect(store.claims.claim).not.toHaveBeenCalled();
    hookAnswer.open();
    await expect(sending).resolves.toMatchObject({ duplicate: false });
    expect(store.claims.claim).toHaveBeenCalledTimes(1);
  });
});

/**
 * The pre-send hook sees the attachments' file names (shown to every member, as the text is): a
 * send whose upload is named with a word the example word filter refuses (or masks: names are not
 * rewritten) is FORBIDDEN before anything is claimed or stored. Only the caller's own uploads are
 * named to the hook (another's upload is refused by the uploads' claim, as without a hook).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { caller, groupChat, pendingUpload } from './fakes.ts';
import { withUploads } from './media-fakes.ts';

const KEYS = ['PRE_SEND_HOOK', 'WORD_FILTER_DENY', 'WORD_FILTER_MASK'] as const;
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

beforeEach(() => {
  process.env.PRE_SEND_HOOK = 'hooks/word-filter.ts';
  process.env.WORD_FILTER_DENY = 'scam';
  delete process.env.WORD_FILTER_MASK; // darn, heck
});
afterEach(() => {
  for (const key of KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

const ann = caller('ann');
const send = { chatId: 'g1', text: 'look', clientMessageId: 'cm-1', connectionId: 'k-ann' };
const withAttachment = { ...send, attachments: [{ uploadId: 'up_a' }] };

function uploaded(fileName: string | null, userId = 'ann') {
  const fake = withUploads(pendingUpload('up_a', { fileName, userId }));
  fake.store.chats.getWithMembers.mockResolvedValue(groupChat('ann', ['ann', 'bob']));
  return fake;
}

describe('the hook and attachment file names', () => {
  it.each([['scam offer.png'], ['darn.png']])(
    'refuses a send whose file name is %s, claiming nothing',
    async (name) => {
      const { deps, store, media } = uploaded(name);
      await expect(sendMessage(deps, ann, withAttachment)).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'An attachment\'s "fileName" contains a word that is not allowed here.',
      });
      expect(media.markAttached).not.toHaveBeenCalled();
      expect(store.uploads.claim).not.toHaveBeenCalled();
      expect(store.sequence.allocate).not.toHaveBeenCalled();
    },
  );

  it('stores a send whose file name passes, with that name', async () => {
    const { deps, store } = uploaded('holiday.png');
    await expect(sendMessage(deps, ann, withAttachment)).resolves.toMatchObject({ duplicate: false });
    expect(store.messages.put.mock.calls[0]?.[0]).toMatchObject({
      attachments: [expect.objectContaining({ fileName: 'holiday.png' })],
    });
  });

  it("does not name another user's upload to the hook: the claim refuses it", async () => {
    const { deps } = uploaded('scam.png', 'bob');
    await expect(sendMessage(deps, ann, withAttachment)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

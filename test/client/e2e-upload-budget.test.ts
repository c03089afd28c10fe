/**
 * The client under the daily upload budget (UPLOAD_MB_PER_DAY, 1 MB here: docs/protocol.md Media).
 * A request past it is `BAD_REQUEST` naming `size`, not `RATE_LIMITED`: the client shuts an action's
 * gate for `retryAfterMs` after `RATE_LIMITED` (client/src/gate.ts), so a budget refusal with the rest
 * of the day to wait would hold every later upload, even a small one that fits, for hours. After the
 * refusal of a too-big upload, a photo that fits goes out and is sent at once.
 */
import { describe, expect, it } from 'vitest';
import { ChatClientError, sendAttachment, uploadAttachment } from '../../client/src/index.ts';
import { eventually } from '../support/client.ts';
import { PNG } from '../support/media.ts';
import { useTestStack } from '../support/stack.ts';
import { useClients } from './support/e2e.ts';

const MIB = 1024 * 1024;
const stack = useTestStack({ env: { UPLOAD_MB_PER_DAY: '1' } });
const { pair } = useClients(stack);

describe('the upload budget through the client', () => {
  it('a too-big upload is refused naming size; a small one that fits is then sent at once', async () => {
    const { alice, bob, chatId } = await pair('budget');
    // Half the budget is spent: the window opened now and renews in 24 hours.
    await alice.request('requestUpload', { chatId, contentType: 'image/png', size: MIB / 2 });
    const big = await uploadAttachment(alice, {
      chatId,
      body: PNG,
      size: MIB, // declared: refused before any PUT
      contentType: 'image/png',
    }).catch((error: unknown) => error);
    expect(big).toBeInstanceOf(ChatClientError);
    expect(big).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^"size": 1 MB is more than the 0\.5 MB left of today's upload budget/),
    });
    const sent = await sendAttachment(alice, { chatId, body: PNG, contentType: 'image/png' });
    expect(sent.attachments).toHaveLength(1);
    await eventually(() => bob.messages(chatId).length === 1);
  });
});

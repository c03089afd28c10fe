/**
 * Deleting a message with attachments in a full chat (docs/data-model.md, "Size of a chat"), through
 * the real gateway, DynamoDB Local and the S3 stand-in (refusal injected as test/support/full-chat.ts
 * models it): the upload records cannot take their `deleted` mark (longer than `used`) nor their TTL
 * (a new attribute), so once their objects are gone they are deleted outright; the message becomes
 * its tombstone as anywhere else.
 */
import { describe, expect, it } from 'vitest';
import { closeAll, groupOfTwo, history } from '../support/chat.ts';
import { useFullChat } from '../support/full-chat.ts';
import { FILES, sendWith, storedKeys, uploadFile, useS3 } from '../support/media.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const s3 = useS3(stack);
/** The chat whose growing writes are refused, while set; and what was refused (update expressions). */
const full = useFullChat(stack, (command, input) => JSON.parse(input).UpdateExpression ?? command);

describe('a full chat', () => {
  it('deletes a message with attachments: its objects, then its upload records, go', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Media', 'fullmedia');
    const { chatId } = chat;
    const uploadId = await uploadFile(owner, chatId, FILES.png(2000), 'image/png', 'a.png');
    const message = await sendWith(owner, chatId, [uploadId], 'pic');
    full.chatId = chatId;
    full.refused.length = 0;
    try {
      const reply = await owner.request('deleteMessage', { chatId, messageId: message.messageId });
      expect(reply.type).toBe('ack');
      expect(full.refused).toContain('SET #status = :deleted'); // the mark, refused as full
    } finally {
      full.chatId = undefined;
    }
    expect(await storedKeys(stack, s3(), `chats/${chatId}/`)).toEqual([]);
    const items = await stack.items(`CHAT#${chatId}`);
    expect(items.filter((i) => String(i.sk).startsWith('UPLOAD#'))).toEqual([]);
    const shown = (await history(member, chatId)).messages.find((m) => m.messageId === message.messageId);
    expect(shown).toMatchObject({ deleted: true });
    await closeAll(stack, owner, member);
  }, 60_000);
});

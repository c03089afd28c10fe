import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  closeAll,
  connectUser,
  expectRefused,
  groupOfTwo,
  listChats,
  makeDirect,
  makeGroup,
  sendText,
} from '../support/chat.ts';
import { FILES, uploadFile } from '../support/media.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);

/** What `deleteChat`'s first step writes (and all an interrupted delete leaves). */
async function markDeleted(chatId: string): Promise<void> {
  await table.doc.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: { pk: `CHAT#${chatId}`, sk: 'META' },
      UpdateExpression: 'SET deletedAt = :at',
      ExpressionAttributeValues: { ':at': new Date().toISOString() },
    }),
  );
}

const headAndMembers = async (chatId: string) =>
  (await stack.items(`CHAT#${chatId}`))
    .filter((i) => i.sk === 'META' || String(i.sk).startsWith('MEMBER#'))
    .map((i) => String(i.sk))
    .sort();

describe('a chat marked for deletion', () => {
  it('answers NOT_FOUND to every action of its members and writes nothing', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Marked');
    const { chatId } = chat;
    const uploadId = await uploadFile(owner, chatId, FILES.png(), 'image/png');
    const withImage = await owner.ok('sendMessage', { chatId, text: 'pic', attachments: [{ uploadId }] });
    const { messageId, attachments } = withImage.message as {
      messageId: string;
      attachments: { attachmentId: string }[];
    };
    // The member's send puts the chat's head in the (shared, in-process) cache: a later send uses it.
    const mine = await sendText(member, chatId, 'warm the head cache');
    await markDeleted(chatId);

    const refused: [string, Record<string, unknown>][] = [
      ['sendMessage', { chatId, text: 'after the mark' }],
      ['sendMessage', { chatId, text: 'after the mark', clientMessageId: 'c-after' }],
      ['history', { chatId }],
      ['history', { chatId, after: 0 }],
      ['requestUpload', { chatId, contentType: 'image/png', size: 2048 }],
      ['getAttachmentUrl', { chatId, messageId, attachmentId: attachments[0]?.attachmentId }],
      ['editMessage', { chatId, messageId: mine.messageId, text: 'edited' }],
      ['deleteMessage', { chatId, messageId: mine.messageId }],
      ['react', { chatId, messageId, emoji: '👍' }],
      ['readMessage', { chatId, messageId }],
      ['getChat', { chatId }],
      ['invite', { chatId, userIds: [uniqueId('late')] }],
      ['removeMember', { chatId, userId: member.userId }],
      // Only its owner (or an administrator) may finish the delete: to the member it is gone.
      ['deleteChat', { chatId }],
      ['muteChat', { chatId }],
      ['muteChat', { chatId, until: null }],
      // The member's send cached the head: its lastSeq vouches for these seqs without a read.
      // (expectRefused compares the chat's partition before and after: no mute, no cursor.)
      ['markDelivered', { chatId, seq: 1 }],
      ['markDelivered', { chatId, seq: mine.seq }],
    ];

    for (const [action, fields] of refused) {
      await expectRefused(stack, member, action, fields, 'NOT_FOUND');
    }
    expect((await listChats(member)).some((c) => c.chatId === chatId)).toBe(false);
    // Its owner can finish the delete.
    await owner.ok('deleteChat', { chatId });
    expect(await headAndMembers(chatId)).toEqual([]);
    await closeAll(stack, owner, member);
  });
});

describe('a group marked for deletion, named by a clientChatId', () => {
  it('answers a repeat of createChat or of an invite into a direct chat BAD_REQUEST naming the key, revealing nothing', async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const member = await connectUser(stack, uniqueId('member'));
    const created = uniqueId('k');
    const viaCreate = await owner.ok('createChat', {
      kind: 'group',
      name: 'Keyed',
      memberIds: [member.userId],
      clientChatId: created,
    });
    const pair = await makeDirect(owner, member.userId);
    const invited = uniqueId('k');
    const invite = { chatId: pair.chatId, userIds: [uniqueId('late')], clientChatId: invited };
    const viaInvite = await owner.ok('invite', invite);
    for (const ack of [viaCreate, viaInvite]) await markDeleted((ack.chat as { chatId: string }).chatId);

    const repeats: [string, Record<string, unknown>, unknown][] = [
      ['createChat', { kind: 'group', name: 'Keyed', memberIds: [], clientChatId: created }, viaCreate.chat],
      ['invite', invite, viaInvite.chat],
    ];
    for (const [action, fields, group] of repeats) {
      const { chatId } = group as { chatId: string };
      // The error frame holds only its code and sentence (expectRefused), not the group.
      const refused = await expectRefused(stack, owner, action, fields, 'BAD_REQUEST', { chatId });
      expect(refused.message).toContain('"clientChatId"');
    }
    await closeAll(stack, owner, member);
  });
});

describe('a direct chat marked for deletion (its deleteChat interrupted after the mark)', () => {
  it('is replaced by a new chat for the pair, and its owner can still finish deleting it', async () => {
    const a = await connectUser(stack);
    const b = await connectUser(stack);
    const old = await makeDirect(a, b.userId);
    await sendText(b, old.chatId, 'old history');
    await markDeleted(old.chatId);

    // Either of the pair asking again gets a new, empty chat (protocol: `created: true`), not the
    // marked one on which every action is NOT_FOUND.
    const again = await b.ok('createChat', { kind: 'direct', userId: a.userId });
    expect(again.created).toBe(true);
    const fresh = again.chat as { chatId: string; lastSeq: number };
    expect(fresh.chatId).not.toBe(old.chatId);
    expect(fresh.lastSeq).toBe(0);
    expect(await a.ok('createChat', { kind: 'direct', userId: b.userId })).toMatchObject({
      created: false,
      chat: { chatId: fresh.chatId },
    });

    // The old chat's owner finishes its delete: the pair pointer (now the new chat's) stays.
    await a.ok('deleteChat', { chatId: old.chatId });
    expect(await headAndMembers(old.chatId)).toEqual([]);
    expect(await b.ok('createChat', { kind: 'direct', userId: a.userId })).toMatchObject({
      created: false,
      chat: { chatId: fresh.chatId },
    });
    expect((await sendText(a, fresh.chatId, 'new start')).seq).toBe(1);
    await closeAll(stack, a, b);
  });
});

describe('a leave that read the chat before a change', () => {
  it('does not delete a chat whose only member was joined by an invite meanwhile', async () => {
    const owner = await connectUser(stack, uniqueId('owner'));
    const invitee = await connectUser(stack, uniqueId('invitee'));
    const chat = await makeGroup(owner, [], 'Solo');
    await sendText(owner, chat.chatId, 'before the invite');
    // The owner's leave read the chat (one member) ...
    const stale = await table.store.chats.getWithMembers(chat.chatId, { consistent: true });
    const version = await table.store.sequence.allocateVersion(chat.chatId, Date.now());
    if (!stale.chat || version.status !== 'allocated') throw new Error('no chat');
    // ... then an invite from another socket landed, then the leave's write.
    await owner.ok('invite', { chatId: chat.chatId, userIds: [invitee.userId] });
    const outcome = await table.store.chats.removeMember(stale.chat, owner.userId, undefined, version.ver);

    expect(outcome).toBe('chat-changed');
    expect(await headAndMembers(chat.chatId)).toEqual(
      ['META', `MEMBER#${invitee.userId}`, `MEMBER#${owner.userId}`].sort(),
    );
    expect((await invitee.ok('getChat', { chatId: chat.chatId })).chat).toMatchObject({ memberCount: 2 });
    // Read again, the leave is an ordinary one: the invitee owns the chat.
    await owner.ok('removeMember', { chatId: chat.chatId, userId: owner.userId });
    expect((await invitee.ok('getChat', { chatId: chat.chatId })).chat).toMatchObject({
      ownerId: invitee.userId,
      memberCount: 1,
    });
    await closeAll(stack, owner, invitee);
  });

  it('cannot hand ownership on while the chat is being deleted: the delete finishes', async () => {
    const { owner, member, chat } = await groupOfTwo(stack, 'Duo');
    await sendText(owner, chat.chatId, 'hello');
    const stale = await table.store.chats.getWithMembers(chat.chatId, { consistent: true });
    const version = await table.store.sequence.allocateVersion(chat.chatId, Date.now());
    if (!stale.chat || version.status !== 'allocated') throw new Error('no chat');
    await markDeleted(chat.chatId);
    const outcome = await table.store.chats.removeMember(
      stale.chat,
      owner.userId,
      member.userId,
      version.ver,
    );

    expect(outcome).toBe('chat-changed');
    const meta = (await stack.items(`CHAT#${chat.chatId}`)).find((i) => i.sk === 'META');
    expect(meta?.ownerId).toBe(owner.userId);
    await owner.ok('deleteChat', { chatId: chat.chatId });
    expect(await headAndMembers(chat.chatId)).toEqual([]);
    await closeAll(stack, owner, member);
  });
});

/**
 * An administrator who is not in a direct chat cannot learn who is. removeMember looked the target
 * up before refusing a direct chat: a member named was FORBIDDEN ("A direct chat cannot be left"),
 * anyone else NOT_FOUND ("User … is not a member"), a missing chat NOT_FOUND ("Chat … was not
 * found"): three answers, so an administrator could probe a direct chat's pair without reading it
 * (protocol: administrators cannot read chats they are not in). Nobody may remove anyone from a
 * direct chat, so the role gives nothing there: to a non-member administrator a direct chat now
 * answers exactly as a missing chat does, whoever is named, writing and recording nothing.
 */
import { describe, expect, it } from 'vitest';
import { readAudit } from '../../scripts/audit.ts';
import { closeAll, connectUser, expectRefused, makeDirect } from '../support/chat.ts';
import { TestClient } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const stack = useTestStack();

describe('removeMember by an administrator who is not in a direct chat', () => {
  it('answers as for a missing chat whoever it names, and changes nothing', async () => {
    const since = new Date().toISOString();
    const ann = await connectUser(stack, uniqueId('ann'));
    const bob = await connectUser(stack, uniqueId('bob'));
    const direct = await makeDirect(ann, bob.userId);
    const adminId = uniqueId('admin');
    const admin = await TestClient.connect(await stack.urlFor(adminId, { roles: ['admin'] }));
    const missing = uniqueId('c');

    // The chat's id is the only difference: the answer is the same sentence with it.
    const answer = async (chatId: string, userId: string) => {
      const refused = await expectRefused(stack, admin, 'removeMember', { chatId, userId }, 'NOT_FOUND');
      return String(refused.message).replace(chatId, '<chat>');
    };
    const answers = [
      await answer(direct.chatId, ann.userId),
      await answer(direct.chatId, bob.userId),
      await answer(direct.chatId, uniqueId('zed')),
      await answer(direct.chatId, adminId),
      await answer(missing, ann.userId),
      await answer(missing, uniqueId('zed')),
    ];
    expect(new Set(answers)).toEqual(new Set(['Chat "<chat>" was not found.']));

    // Its members keep their rule (they know who is in it).
    await expectRefused(
      stack,
      ann,
      'removeMember',
      { chatId: direct.chatId, userId: bob.userId },
      'FORBIDDEN',
    );
    const audit = await readAudit({
      since,
      until: new Date(Date.now() + 1000).toISOString(),
      tableName: stack.tableName,
      endpoint: stack.dynamoEndpoint,
    });
    expect(audit.filter((r) => r.actorId === adminId)).toEqual([]);
    await admin.close();
    await closeAll(stack, ann, bob);
  });
});

/**
 * Mutes: a member's `mutedUntil`, kept on the membership item (so the chat-head Query that the push
 * pipeline already makes reads every member's mute with the members). Every public method is one
 * access pattern (all of them are listed in docs/data-model.md).
 */
import { keys } from './keys.ts';
import { ifConditionFails, itemExists, type TableClient } from './table-client.ts';

export class MuteRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Sets (an ISO time) or clears (null) a member's mute: one UpdateItem on the membership, guarded
   * by its existence. `'not-member'` when the user is not a member of the chat.
   */
  async set(chatId: string, userId: string, until: string | null): Promise<'set' | 'not-member'> {
    const write = this.table.update({
      Key: keys.member(chatId, userId),
      ConditionExpression: itemExists,
      ...(until === null
        ? { UpdateExpression: 'REMOVE mutedUntil' }
        : { UpdateExpression: 'SET mutedUntil = :until', ExpressionAttributeValues: { ':until': until } }),
    });
    return ifConditionFails(
      write.then(() => 'set' as const),
      () => 'not-member' as const,
    );
  }
}

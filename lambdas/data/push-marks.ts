/**
 * Push marks (`PUSHED#<messageId>`/`PUSHED`, a partition per message): what makes the push function
 * idempotent per message. A stream batch is retried from its lowest failed record on, so a message
 * whose notifications went out may be processed again; the push function reads the message's mark
 * before sending (consistently: a mark written by the previous attempt is seen) and skips the message
 * when it is there, and writes the mark once the notifications were handed to the providers or the
 * push jobs queued. A failure between sending and marking still sends again (at least once); nothing
 * is skipped that was not sent. The mark expires through TTL (`PUSH_MARK_TTL_SECONDS`). Cost: the
 * read 1 unit, the write 1 unit (a mark is about 60 bytes). Every public method is one access
 * pattern (docs/data-model.md).
 */
import { PUSH_MARK, PUSH_MARK_TTL_SECONDS } from './items.ts';
import { keys } from './keys.ts';
import type { TableClient } from './table-client.ts';

export class PushMarkRepository {
  constructor(private readonly table: TableClient) {}

  /** Whether the message is marked pushed (consistent GetItem, keys only). */
  async has(messageId: string): Promise<boolean> {
    const item = await this.table.get(keys.pushMark(messageId), { consistent: true, projection: 'pk' });
    return item !== undefined;
  }

  /** Marks the message pushed (PutItem), until `now` + `PUSH_MARK_TTL_SECONDS`. */
  async put(messageId: string, now: Date): Promise<void> {
    const expiresAt = Math.floor(now.getTime() / 1000) + PUSH_MARK_TTL_SECONDS;
    await this.table.put({ Item: PUSH_MARK.toItem({ messageId, expiresAt }) });
  }
}

import { describe, expect, it } from 'vitest';
import type { UploadRecord } from '../../lambdas/data/store.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { useTableStore } from '../support/table-store.ts';

const stack = useTestStack();
const table = useTableStore(stack);

const upload = (chatId: string, uploadId: string): UploadRecord => ({
  chatId,
  uploadId,
  userId: 'ann',
  kind: 'image',
  contentType: 'image/png',
  size: 100,
  fileName: null,
  createdAt: new Date().toISOString(),
  status: 'pending',
  usedBy: null,
});

async function stored(chatId: string, uploadId: string): Promise<Record<string, unknown> | undefined> {
  return (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
}

describe('claiming an upload of a chat being deleted', () => {
  it('is refused once the retention gave the record its TTL, which stays', async () => {
    const chatId = uniqueId('c');
    const [kept, retained] = [upload(chatId, 'up_kept'), upload(chatId, 'up_retained')];
    await table.store.uploads.create(kept);
    await table.store.uploads.create(retained);
    // The chat was deleted a moment ago: its retention reaches the second upload's record.
    const deletedAt = Math.floor(Date.now() / 1000) - 5;
    const page = await table.store.retention.expirePage(chatId, deletedAt, {
      startKey: { pk: `CHAT#${chatId}`, sk: 'UPLOAD#up_kept' },
    });
    expect(page.count).toBe(1);

    expect(await table.store.uploads.claim([retained], 'ann', 'cmid:c1', new Date())).toBe('taken');
    expect(await stored(chatId, 'up_retained')).toMatchObject({ status: 'pending', ttl: deletedAt });

    expect(await table.store.uploads.claim([kept], 'ann', 'cmid:c2', new Date())).toBe('claimed');
    const claimed = await stored(chatId, 'up_kept');
    expect(claimed).toMatchObject({ status: 'used', usedBy: 'cmid:c2' });
    expect(claimed?.ttl).toBeUndefined();
  });
});

/**
 * Contention that outlasts `transactThroughConflicts`' attempts, as the caller hears it: the domain on
 * the real repositories over a mocked document client (DynamoDB Local serializes transactions, so it
 * never cancels one for another) answers the retryable CONFLICT, never INTERNAL, and writes nothing
 * else: cancelScheduled, unregisterDevice, a send's upload claim, and the dispatcher's completion.
 */
import { BatchGetCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { DEVICE, SCHEDULED, UPLOAD } from '../../../lambdas/data/items.ts';
import type { DeviceRecord, UploadRecord } from '../../../lambdas/data/store.ts';
import { unregisterDevice } from '../../../lambdas/domain/devices.ts';
import { claimUploads } from '../../../lambdas/domain/media.ts';
import { cancelScheduled } from '../../../lambdas/domain/scheduled.ts';
import { dispatchScheduled } from '../../../lambdas/domain/scheduled-dispatch.ts';
import { NOW, stored } from '../domain/fakes.ts';
import { ann, record, scheduledDeps } from '../domain/scheduled-fakes.ts';
import { cancelled, ok, useMockTable } from './mock-table.ts';

// The conflict backoff must not slow the tests: its delays resolve at once.
vi.mock('node:timers/promises', () => ({ setTimeout: async () => undefined }));

const { ddb, store } = useMockTable();
const conflict = { Code: 'TransactionConflict' } as const;
const PNG_HEAD = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

/** Fake deps (fan-out, media, clock) on the repositories over the mocked client. */
function onTable() {
  const fake = scheduledDeps();
  return { ...fake, deps: { ...fake.deps, store } };
}

describe('contention through every attempt', () => {
  it('cancelScheduled answers CONFLICT and tells nobody', async () => {
    const { deps, fanOut } = onTable();
    ddb.on(GetCommand).resolves({ Item: SCHEDULED.toItem(record()) });
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, conflict));
    await expect(
      cancelScheduled(deps, ann, { scheduledId: 's_1', connectionId: 'c1' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(6);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0); // no upload given back
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('unregisterDevice answers CONFLICT, not NOT_FOUND', async () => {
    const { deps } = onTable();
    const device: DeviceRecord = {
      userId: 'ann',
      deviceId: 'd1',
      platform: 'apns',
      token: 't',
      appId: null,
      createdAt: NOW,
    };
    ddb.on(GetCommand).resolves({ Item: DEVICE.toItem(device) });
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, ok, conflict));
    await expect(unregisterDevice(deps, ann, { deviceId: 'd1' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a send’s upload claim answers CONFLICT naming "attachments"', async () => {
    const { deps, media } = onTable();
    const upload: UploadRecord = {
      chatId: 'g1',
      uploadId: 'up1',
      userId: 'ann',
      kind: 'image',
      contentType: 'image/png',
      size: 100,
      fileName: null,
      createdAt: NOW,
      status: 'pending',
      usedBy: null,
    };
    ddb.on(BatchGetCommand).resolves({ Responses: { 'chat-test': [UPLOAD.toItem(upload)] } });
    media.probe.mockResolvedValue({ status: 'present', size: 100, contentType: 'image/png', head: PNG_HEAD });
    ddb.on(TransactWriteCommand).rejects(cancelled(conflict));
    await expect(claimUploads(deps, ann, 'g1', [{ uploadId: 'up1' }], 'c1')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('"attachments"'),
    });
  });

  it('the dispatcher’s completion is busy: no outcome told, the claim kept for a retry', async () => {
    const { deps, store: fakeStore, fanOut } = scheduledDeps();
    const claimed = record({ status: 'sending', attempts: 2 });
    fakeStore.scheduled.claim.mockResolvedValue(claimed);
    fakeStore.messages.findByClientId.mockResolvedValue(stored(1, { clientMessageId: 'sched_s_1' }));
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, conflict));
    fakeStore.scheduled.complete.mockImplementation((...args) => store.scheduled.complete(...args));
    expect(await dispatchScheduled(deps, { userId: 'ann', scheduledId: 's_1', sendAt: claimed.sendAt })).toBe(
      'busy',
    );
    expect(fanOut.toUsers).not.toHaveBeenCalledWith(['ann'], expect.anything());
  });
});

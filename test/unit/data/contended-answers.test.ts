/**
 * Contention that outlasts `transactThroughConflicts`' attempts, as the caller hears it: the domain on
 * the real repositories over a mocked document client (DynamoDB Local serializes transactions, so it
 * never cancels one for another) answers the retryable CONFLICT, never INTERNAL, and writes nothing
 * else: cancelScheduled, unregisterDevice, a send's upload claim, and the dispatcher's completion;
 * and scheduleMessage, whose identical twin may still store the schedule with the same uploads.
 */
import { BatchGetCommand, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { DEVICE, SCHEDULED, UPLOAD } from '../../../lambdas/data/items.ts';
import type { DeviceRecord } from '../../../lambdas/data/store.ts';
import { unregisterDevice } from '../../../lambdas/domain/devices.ts';
import { claimUploads } from '../../../lambdas/domain/media.ts';
import { scheduledIdFor, scheduleMessage } from '../../../lambdas/domain/scheduled.ts';
import { cancelScheduled } from '../../../lambdas/domain/scheduled-cancel.ts';
import { dispatchScheduled } from '../../../lambdas/domain/scheduled-dispatch.ts';
import { NOW, PNG_HEAD, pendingUpload, stored } from '../domain/fakes.ts';
import { ann, at, input, record, scheduledDeps } from '../domain/scheduled-fakes.ts';
import { cancelled, ok, useMockTable } from './mock-table.ts';

// The conflict backoff must not slow the tests: its delays resolve at once.
vi.mock('node:timers/promises', () => ({ setTimeout: async () => undefined }));

const { ddb, store } = useMockTable();
const conflict = { Code: 'TransactionConflict' } as const;

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
      expiresAt: Date.parse(NOW) / 1000 + 60 * 86_400,
    };
    ddb.on(GetCommand).resolves({ Item: DEVICE.toItem(device) });
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, ok, conflict));
    await expect(unregisterDevice(deps, ann, { deviceId: 'd1' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a send’s upload claim answers CONFLICT naming "attachments"', async () => {
    const { deps, media } = onTable();
    const upload = pendingUpload('up1');
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

  it('scheduleMessage with a clientMessageId keeps the uploads claimed: its twin may store the schedule a moment later', async () => {
    const { deps, media, store: fakeStore } = onTable();
    const upload = pendingUpload('up1');
    // The chat head and membership come from the fakes' group; the table answers the rest.
    const onFakes = { ...deps, store: Object.assign(Object.create(store), { chats: fakeStore.chats }) };
    ddb.on(BatchGetCommand).resolves({ Responses: { 'chat-test': [UPLOAD.toItem(upload)] } });
    media.probe.mockResolvedValue({ status: 'present', size: 100, contentType: 'image/png', head: PNG_HEAD });
    // The twin holds the author's pending count through every attempt of the create (the uploads'
    // claim, the first transaction, passes: the twin's claim is the same send's), and has not
    // committed when the schedule is read back.
    ddb.on(TransactWriteCommand).resolvesOnce({}).rejects(cancelled(ok, conflict));
    ddb.on(GetCommand).resolves({});
    const twin = { ...input(at(60_000)), clientMessageId: 'c', attachments: [{ uploadId: 'up1' }] };
    await expect(scheduleMessage(onFakes, ann, twin)).rejects.toMatchObject({ code: 'CONFLICT' });
    // Read back (consistently) where it would wait, then where it would be kept finished.
    const id = scheduledIdFor('ann', 'g1', 'c');
    const reads = ddb.commandCalls(GetCommand).map((call) => call.args[0].input);
    expect(reads.slice(-2)).toMatchObject([
      { Key: { sk: `SCHED#${id}` }, ConsistentRead: true },
      { Key: { sk: `SCHEDDONE#${id}` }, ConsistentRead: true },
    ]);
    // Nothing given back: no release of the records, no re-tagging of the bytes as pending.
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(media.markPending).not.toHaveBeenCalled();
  });
});

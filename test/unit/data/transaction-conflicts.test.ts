/**
 * Transactions that other transactions cancelled (`TransactionConflict`) are not refusals: the
 * scheduled messages' completion and cancel, their create, the uploads' claim and a device's removal
 * send them again, answer "refused" only for a failed condition, and `busy` (a value, never a thrown
 * cancellation) when contention outlasts the attempts. DynamoDB Local serializes transactions, so
 * conflicts are staged on the mocked client.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { pendingUpload } from '../domain/fakes.ts';
import { record } from '../domain/scheduled-fakes.ts';
import { cancelled, ok, refused, useMockTable } from './mock-table.ts';

// The conflict backoff must not slow the tests: its delays resolve at once.
vi.mock('node:timers/promises', () => ({ setTimeout: async () => undefined }));

const { ddb, store } = useMockTable();
const conflict = { Code: 'TransactionConflict' } as const;
const AT = new Date('2026-03-01T12:00:00.000Z');

const scheduled = record({
  status: 'sending',
  sendAt: AT.toISOString(),
  createdAt: AT.toISOString(),
  attempts: 1,
});
const upload = pendingUpload('up1', { size: 10, createdAt: AT.toISOString() });
const sends = () => ddb.commandCalls(TransactWriteCommand).length;

describe('a transaction another one held', () => {
  it('completes a scheduled message after conflicts with the author’s other completions (the pending count)', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(ok, conflict))
      .rejectsOnce(cancelled(ok, conflict))
      .resolves({});
    const sent = { status: 'sent', messageId: 'm_1' } as const;
    await expect(store.scheduled.complete(scheduled, 'd1', sent, AT)).resolves.toBe('finished');
    expect(sends()).toBe(3);
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, conflict));
    await expect(store.scheduled.complete(scheduled, 'd1', sent, AT)).resolves.toBe('busy');
    expect(sends()).toBe(6);
  });

  it('answers refused only for a failed condition (the claim is no longer this dispatcher’s)', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(ok, conflict)).rejects(cancelled(refused(), ok));
    const failed = { status: 'failed', reason: 'INTERNAL' } as const;
    await expect(store.scheduled.complete(scheduled, 'd1', failed, AT)).resolves.toBe('refused');
    expect(sends()).toBe(2);
  });

  it('cancels after a conflict, and is busy (never "not pending", never thrown) when conflicts go on', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(conflict, ok)).resolves({});
    await expect(store.scheduled.cancel({ ...scheduled, status: 'pending' }, AT)).resolves.toBe('finished');
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, conflict));
    await expect(store.scheduled.cancel({ ...scheduled, status: 'pending' }, AT)).resolves.toBe('busy');
    expect(sends()).toBe(6);
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, { Code: 'ThrottlingError' }));
    await expect(store.scheduled.cancel({ ...scheduled, status: 'pending' }, AT)).resolves.toBe('busy');
  });

  it('throws a cancellation for any other reason (a bug, not contention)', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, { Code: 'ValidationError' }));
    await expect(store.scheduled.cancel({ ...scheduled, status: 'pending' }, AT)).rejects.toMatchObject({
      name: 'TransactionCanceledException',
    });
  });

  it('creates a schedule after a conflict on the pending count', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(ok, conflict)).resolves({});
    await expect(store.scheduled.create({ ...scheduled, status: 'pending' }, 100)).resolves.toEqual({
      status: 'created',
    });
    expect(sends()).toBe(2);
  });

  it('answers busy (nothing stored) for a create cancelled without a failed condition', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, conflict));
    await expect(store.scheduled.create({ ...scheduled, status: 'pending' }, 100)).resolves.toEqual({
      status: 'busy',
    });
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, { Code: 'ThrottlingError' }));
    await expect(store.scheduled.create({ ...scheduled, status: 'pending' }, 100)).resolves.toEqual({
      status: 'busy',
    });
  });

  it('claims uploads after a conflict; only a failed condition is "taken"', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(ok, conflict)).resolves({});
    const second = { ...upload, uploadId: 'up2' };
    await expect(store.uploads.claim([upload, second], 'ann', 'cmid:c1', AT)).resolves.toBe('claimed');
    expect(sends()).toBe(2);
    ddb.reset();
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(ok, conflict)).rejects(cancelled(ok, refused()));
    await expect(store.uploads.claim([upload, second], 'ann', 'cmid:c1', AT)).resolves.toBe('taken');
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, conflict));
    await expect(store.uploads.claim([upload, second], 'ann', 'cmid:c1', AT)).resolves.toBe('busy');
  });

  it('removes a device after a conflict with another removal (the device count), never "gone"', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(ok, ok, conflict))
      .resolves({});
    const device = { userId: 'ann', deviceId: 'd1', platform: 'apns' as const, token: 't' };
    await expect(store.devices.remove(device)).resolves.toBe('removed');
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled(refused(), ok, ok));
    await expect(store.devices.remove(device)).resolves.toBe('gone');
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled(ok, ok, conflict));
    await expect(store.devices.remove(device)).resolves.toBe('busy');
  });
});

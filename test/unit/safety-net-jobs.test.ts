/** The safety-net jobs' bodies (lambdas/domain/safety-net-jobs.ts): what the worker takes as one. */
import { describe, expect, it } from 'vitest';
import { decodeFinishJob, decodeRetentionJob } from '../../lambdas/domain/retention-job-codec.ts';
import { decodeSafetyNetJob } from '../../lambdas/domain/safety-net-jobs.ts';

describe('safety-net job bodies', () => {
  it('decodes a finishCreation and an expireLeft job, which no other decoder takes', () => {
    const creation = JSON.stringify({ v: 1, kind: 'finishCreation', chatId: 'c1' });
    const leave = JSON.stringify({ v: 1, kind: 'expireLeft', chatId: 'c1', expiresAt: 1_700_000_000 });
    expect(decodeSafetyNetJob(creation)).toEqual({ v: 1, kind: 'finishCreation', chatId: 'c1' });
    expect(decodeSafetyNetJob(leave)).toEqual({
      v: 1,
      kind: 'expireLeft',
      chatId: 'c1',
      expiresAt: 1_700_000_000,
    });
    for (const body of [creation, leave]) {
      expect(decodeRetentionJob(body)).toBeUndefined();
      expect(decodeFinishJob(body)).toBeUndefined();
    }
  });

  it('decodes the key and claim of a keyed creation’s job', () => {
    const key = { userId: 'u1', clientChatId: 'k1', claimedAt: 1_700_000_000_123 };
    const body = JSON.stringify({ v: 1, kind: 'finishCreation', chatId: 'c1', key });
    expect(decodeSafetyNetJob(body)).toEqual({ v: 1, kind: 'finishCreation', chatId: 'c1', key });
  });

  it('drops what is not one', () => {
    for (const body of [
      'not json',
      'null',
      JSON.stringify({ v: 2, kind: 'finishCreation', chatId: 'c1' }),
      JSON.stringify({ v: 1, kind: 'finishCreation', chatId: '' }),
      JSON.stringify({ v: 1, kind: 'expireLeft', chatId: 'c1' }),
      JSON.stringify({ v: 1, kind: 'expireLeft', chatId: 'c1', expiresAt: 1.5 }),
      JSON.stringify({ v: 1, kind: 'finishDeletion', chatId: 'c1' }),
      JSON.stringify({ v: 1, kind: 'finishCreation', chatId: 'c1', key: null }),
      JSON.stringify({
        v: 1,
        kind: 'finishCreation',
        chatId: 'c1',
        key: { userId: 'u1', clientChatId: 'k1' },
      }),
      JSON.stringify({
        v: 1,
        kind: 'finishCreation',
        chatId: 'c1',
        key: { userId: '', clientChatId: 'k1', claimedAt: 1 },
      }),
      JSON.stringify({ v: 1, chatId: 'c1', expiresAt: 1_700_000_000 }),
    ]) {
      expect(decodeSafetyNetJob(body), body).toBeUndefined();
    }
  });
});

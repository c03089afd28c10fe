/**
 * A scheduled message's attachment outlives neither its deleted chat nor the retention's TTL: the
 * retention job gives the upload record (held, `used`, by the scheduled message) the deletion time
 * as its `ttl`; cancelling the scheduled message afterwards gives its uploads back (`release`,
 * lambdas/data/uploads.ts) except one the retention reached, which keeps that `ttl` and stays used
 * (pending again, it would expire days after the deletion: docs/security.md, "Retention").
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RETENTION_FINISH_DELAY_ENV } from '../../lambdas/shared/config.ts';
import { closeAll, groupOfTwo } from '../support/chat.ts';
import { FILES, s3Of, storedKeys, uploadFile } from '../support/media.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack({ env: { [RETENTION_FINISH_DELAY_ENV]: '1' } });
let s3: S3Client;
beforeAll(() => {
  s3 = s3Of(stack);
});
afterAll(() => s3?.destroy());

it('cancelling a scheduled message after its chat was deleted leaves its upload expiring at the deletion', {
  timeout: 120_000,
}, async () => {
  const { owner, member, chat } = await groupOfTwo(stack, 'Pictures');
  const { chatId } = chat;
  const uploadId = await uploadFile(owner, chatId, FILES.png(), 'image/png');
  const sendAt = new Date(Date.now() + 3600_000).toISOString();
  const ack = await owner.ok('scheduleMessage', {
    chatId,
    text: 'later',
    sendAt,
    attachments: [{ uploadId }],
  });
  const { scheduledId } = ack.scheduled as { scheduledId: string };
  const before = Math.floor(Date.now() / 1000);
  await owner.ok('deleteChat', { chatId });
  await stack.idle({ timers: true });
  const after = Math.ceil(Date.now() / 1000);
  const upload = async () => (await stack.items(`CHAT#${chatId}`)).find((i) => i.sk === `UPLOAD#${uploadId}`);
  const retained = await upload();
  expect(retained).toMatchObject({ status: 'used' });
  expect(Number(retained?.ttl)).toBeGreaterThanOrEqual(before);
  expect(Number(retained?.ttl)).toBeLessThanOrEqual(after);
  expect(await storedKeys(stack, s3, `chats/${chatId}/`)).toEqual([]);

  await owner.ok('cancelScheduled', { scheduledId });
  await stack.idle();
  // Left alone: still the deletion's TTL (not pending again for UPLOAD_TTL_SECONDS more).
  expect(await upload()).toMatchObject({ status: 'used', ttl: retained?.ttl });
  await closeAll(stack, owner, member);
});

/**
 * Malformed and hostile frames of the media actions (requestUpload, getAttachmentUrl, and
 * sendMessage's attachments): each gets the right error frame, nothing is written — neither to the
 * table (the whole table compared before and after) nor to the media bucket (every object and its
 * tags compared) — nobody gets an event, and the socket stays usable.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { type Message, makeDirect } from '../support/chat.ts';
import { FILES, s3Of, uploadFile } from '../support/media.ts';
import { useTrio } from '../support/trio.ts';
import { bucketSnapshot, expectRefusedCleanly, tableSnapshot } from './hostile/harness.ts';
import { UPLOAD_CASES, type World } from './hostile/media-cases.ts';
import { SCHEDULE_CASES, SEND_CASES } from './hostile/media-send-cases.ts';

let s3: S3Client;

const t = useTrio<World>('hostile-media', async ({ stack, alice, bob, carol }) => {
  s3 = s3Of(stack);
  const ab = (await makeDirect(alice, bob.userId)).chatId;
  const bc = (await makeDirect(bob, carol.userId)).chatId;
  const bcUpload = await uploadFile(bob, bc, FILES.png(), 'image/png');
  return {
    ab,
    bc,
    aliceUpload: await uploadFile(alice, ab, FILES.png(), 'image/png'),
    bobUpload: await uploadFile(bob, ab, FILES.png(), 'image/png'),
    bcMessage: (await bob.ok('sendMessage', { chatId: bc, text: '', attachments: [{ uploadId: bcUpload }] }))
      .message as Message,
  };
});
afterAll(() => s3?.destroy());

const CASES = [...UPLOAD_CASES, ...SEND_CASES];

describe('hostile media frames', () => {
  it('has at least 40 cases, each named once', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it('runs every sendMessage attachment case as a scheduleMessage too', () => {
    expect(SCHEDULE_CASES.length).toBeGreaterThanOrEqual(15);
  });

  it.each([...CASES, ...SCHEDULE_CASES].map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await expectRefusedCleanly(
      {
        stack: t.stack,
        attacker: t.alice,
        everyone: [t.alice, t.bob, t.carol],
        state: async () => ({
          table: await tableSnapshot(t.stack, t.doc),
          bucket: await bucketSnapshot(t.stack, s3),
        }),
        idle: () => t.stack.scheduler.idle(),
      },
      c,
      t.w,
    );
  });

  it('left the uploads usable by their owners', async () => {
    const sent = await t.alice.ok('sendMessage', {
      chatId: t.w.ab,
      text: '',
      attachments: [{ uploadId: t.w.aliceUpload }],
    });
    expect((sent.message as Message).attachments.map((a) => a.attachmentId)).toEqual([t.w.aliceUpload]);
    const url = await t.carol.ok('getAttachmentUrl', {
      chatId: t.w.bc,
      messageId: t.w.bcMessage.messageId,
      attachmentId: t.w.bcMessage.attachments[0]?.attachmentId,
    });
    expect((await fetch(String(url.url))).status).toBe(200);
  });
});

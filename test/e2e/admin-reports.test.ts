/**
 * Administrators and reports end to end (issue 14). A token whose `roles` claim (or
 * `cognito:groups`) holds `admin` may removeMember, deleteMessage and deleteChat in chats it is not
 * a member of; each such action leaves an audit record (who, what, when, target); the same actions
 * stay NOT_FOUND for a non-admin non-member, with nothing written. Any member reports a message
 * (twice is harmless); only administrators list reports (FORBIDDEN otherwise), newest first, paged.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readAudit } from '../../scripts/audit.ts';
import {
  connectAdmin,
  connectUser,
  expectRefused,
  getChat,
  history,
  makeGroup,
  sendText,
  settle,
} from '../support/chat.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
const execFileAsync = promisify(execFile);

/** The audit records since `since`, read as `npm run audit` reads them. */
function auditSince(since: string) {
  return readAudit({
    since,
    until: new Date(Date.now() + 1000).toISOString(),
    tableName: stack.tableName,
    endpoint: stack.dynamoEndpoint,
  });
}

describe('administrators', () => {
  it('remove members, delete messages and delete chats without membership, each recorded', async () => {
    const since = new Date().toISOString();
    const admin = await connectAdmin(stack);
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Moderated');
    const message = await sendText(bob, chat.chatId, 'something bad');
    const ref = { chatId: chat.chatId, messageId: message.messageId };

    expect(await admin.ok('deleteMessage', ref)).toMatchObject(ref);
    const deleted = await ann.event('message.deleted', (f) => f.messageId === message.messageId);
    expect(deleted).toMatchObject({ chatId: chat.chatId, seq: message.seq });
    expect((await history(ann, chat.chatId)).messages[0]).toMatchObject({ deleted: true, text: '' });

    expect(await admin.ok('removeMember', { chatId: chat.chatId, userId: bob.userId })).toMatchObject({
      userId: bob.userId,
    });
    await bob.event('member.left', (f) => f.chatId === chat.chatId && f.userId === bob.userId);
    expect((await getChat(ann, chat.chatId)).members.map((m) => m.userId)).toEqual([ann.userId]);

    expect(await admin.ok('deleteChat', { chatId: chat.chatId })).toMatchObject({ chatId: chat.chatId });
    await ann.event('chat.deleted', (f) => f.chatId === chat.chatId);

    const records = (await auditSince(since)).filter((r) => r.chatId === chat.chatId);
    expect(records.map((r) => [r.actorId, r.action, r.userId, r.messageId])).toEqual([
      [admin.userId, 'deleteMessage', null, message.messageId],
      [admin.userId, 'removeMember', bob.userId, null],
      [admin.userId, 'deleteChat', null, null],
    ]);
    for (const r of records) expect(Date.parse(r.at)).toBeGreaterThanOrEqual(Date.parse(since));
    // The CLI prints them, one line each (who, what, target).
    const cli = await execFileAsync(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/audit.ts',
        '--since',
        '1h',
        '--endpoint',
        stack.dynamoEndpoint,
        '--table',
        stack.tableName,
      ],
      { env: { ...process.env, AWS_REGION: 'local' } },
    );
    const lines = cli.stdout.split('\n').filter((l) => l.includes(chat.chatId));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(
      `${admin.userId}  deleteMessage  chat ${chat.chatId}, message ${message.messageId}`,
    );
    expect(lines[1]).toContain(`removeMember  chat ${chat.chatId}, user ${bob.userId}`);
    // The admin was never a member, and none of this made them one.
    await expectRefused(stack, admin, 'getChat', { chatId: chat.chatId }, 'NOT_FOUND');
  });

  it('reads the role from cognito:groups too; members acting on their own rights leave no record', async () => {
    const since = new Date().toISOString();
    const admin = await connectAdmin(stack, { 'cognito:groups': ['admin', 'staff'] });
    const ann = await connectUser(stack);
    const chat = await makeGroup(ann, [admin.userId], 'Own rights');
    const mine = await sendText(admin, chat.chatId, 'mine');
    await admin.ok('deleteMessage', { chatId: chat.chatId, messageId: mine.messageId });
    const theirs = await sendText(ann, chat.chatId, 'theirs');
    await admin.ok('deleteMessage', { chatId: chat.chatId, messageId: theirs.messageId });
    await admin.ok('removeMember', { chatId: chat.chatId, userId: admin.userId });
    const records = (await auditSince(since)).filter((r) => r.chatId === chat.chatId);
    expect(records.map((r) => [r.action, r.messageId])).toEqual([['deleteMessage', theirs.messageId]]);
  });

  it('are the only ones: the same actions are NOT_FOUND for a non-admin non-member, writing nothing', async () => {
    const since = new Date().toISOString();
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const eve = await connectUser(stack);
    const notAdmin = await connectAdmin(stack, { roles: ['staff'], 'cognito:groups': 'administrators' });
    const chat = await makeGroup(ann, [bob.userId], 'Private');
    const message = await sendText(bob, chat.chatId, 'hello');
    const ref = { chatId: chat.chatId, messageId: message.messageId };
    for (const outsider of [eve, notAdmin]) {
      await expectRefused(stack, outsider, 'deleteMessage', ref, 'NOT_FOUND');
      await expectRefused(
        stack,
        outsider,
        'removeMember',
        { chatId: chat.chatId, userId: bob.userId },
        'NOT_FOUND',
      );
      await expectRefused(stack, outsider, 'deleteChat', { chatId: chat.chatId }, 'NOT_FOUND');
    }
    // Members keep their own rules.
    await expectRefused(stack, bob, 'deleteChat', { chatId: chat.chatId }, 'FORBIDDEN');
    await expectRefused(stack, ann, 'deleteMessage', ref, 'FORBIDDEN');
    expect((await auditSince(since)).filter((r) => r.chatId === chat.chatId)).toEqual([]);
  });
});

describe('reports', () => {
  it('any member reports (twice is harmless); administrators list them newest first, paged', async () => {
    const admin = await connectAdmin(stack);
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const eve = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Reported');
    const messages = [];
    for (const text of ['one', 'two', 'three']) messages.push(await sendText(ann, chat.chatId, text));
    const [m1, m2, m3] = messages as [(typeof messages)[0], (typeof messages)[0], (typeof messages)[0]];

    const first = await bob.ok('reportMessage', {
      chatId: chat.chatId,
      messageId: m1.messageId,
      reason: 'spam',
    });
    expect(first.reportId).toEqual(expect.any(String));
    const again = await bob.ok('reportMessage', {
      chatId: chat.chatId,
      messageId: m1.messageId,
      reason: 'spam!',
    });
    expect(again.reportId).toBe(first.reportId);
    const r2 = await ann.ok('reportMessage', {
      chatId: chat.chatId,
      messageId: m1.messageId,
      reason: 'mine',
    });
    expect(r2.reportId).not.toBe(first.reportId);
    const r3 = await bob.ok('reportMessage', {
      chatId: chat.chatId,
      messageId: m3.messageId,
      reason: 'rude',
    });

    // Not a member: NOT_FOUND; bad input: BAD_REQUEST; nothing written either way.
    await expectRefused(
      stack,
      eve,
      'reportMessage',
      { chatId: chat.chatId, messageId: m2.messageId, reason: 'x' },
      'NOT_FOUND',
    );
    await expectRefused(
      stack,
      bob,
      'reportMessage',
      { chatId: chat.chatId, messageId: m2.messageId, reason: '' },
      'BAD_REQUEST',
    );
    await expectRefused(
      stack,
      bob,
      'reportMessage',
      { chatId: chat.chatId, messageId: m2.messageId, reason: 'x'.repeat(501) },
      'BAD_REQUEST',
    );

    // Only administrators list them.
    for (const socket of [ann, bob, eve]) {
      const refused = await socket.request('listReports', {});
      expect(refused).toMatchObject({ type: 'error', action: 'listReports', code: 'FORBIDDEN' });
    }
    const ours = new Set([first.reportId, r2.reportId, r3.reportId]);
    const seen: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.ok('listReports', { limit: 1, ...(cursor ? { cursor } : {}) });
      const reports = page.reports as Record<string, unknown>[];
      expect(reports.length).toBeLessThanOrEqual(1);
      seen.push(...reports.filter((r) => ours.has(r.reportId as string)));
      cursor = (page.nextCursor as string | null) ?? undefined;
    } while (cursor && seen.length < 3);
    expect(seen.map((r) => r.reportId)).toEqual([r3.reportId, r2.reportId, first.reportId]);
    expect(seen[0]).toEqual({
      reportId: r3.reportId,
      chatId: chat.chatId,
      messageId: m3.messageId,
      reporterId: bob.userId,
      reason: 'rude',
      createdAt: expect.stringMatching(/Z$/),
    });
    const all = await admin.ok('listReports', { limit: 100 });
    expect((all.reports as unknown[]).length).toBeGreaterThanOrEqual(3);
    const bad = await admin.request('listReports', { cursor: 'bm90IGEgY3Vyc29y' });
    expect(bad).toMatchObject({
      type: 'error',
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/cursor/),
    });
    await settle(stack, admin);
  });
});

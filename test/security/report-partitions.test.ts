/**
 * Reports live in one partition per UTC day (`REPORTS#<yyyy-mm-dd>`), not all in `REPORTS`: a table
 * with local secondary indexes allows 10 GB per partition key value, and one shared partition, once
 * full, failed every reportMessage of every user for good. A user reports at most
 * MAX_REPORTS_PER_DAY messages a UTC day (2 here; 100 by default): past it BAD_REQUEST naming
 * "messageId", nothing written. Administrators list reports newest first across the days and the
 * partition from before them (docs/data-model.md, "Reports").
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT, type ReportRecord } from '../../lambdas/data/items.ts';
import { keys } from '../../lambdas/data/keys.ts';
import { LEGACY_REPORTS_PK } from '../../lambdas/data/keys-moderation.ts';
import { REPORT_DAYS_PER_PAGE } from '../../lambdas/data/reports.ts';
import { ChatStore } from '../../lambdas/data/store.ts';
import { closeAll, connectAdmin, connectUser, expectRefused, makeGroup, sendText } from '../support/chat.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';

const PER_DAY = 2;
const stack = useTestStack({ env: { MAX_REPORTS_PER_DAY: String(PER_DAY) } });

let doc: DynamoDBDocumentClient;
let store: ChatStore;
beforeAll(() => {
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  store = new ChatStore(doc, stack.tableName);
});
afterAll(() => doc.destroy());

/** A report as code before the day partitions stored it: in `REPORTS`. */
async function legacyReport(createdAt: string): Promise<ReportRecord> {
  const report = {
    reportId: `r_${uniqueId('old').replace(/[^\w-]/g, '')}`,
    chatId: uniqueId('c'),
    messageId: uniqueId('m'),
    reporterId: uniqueId('u'),
    reason: 'from before',
    createdAt,
  };
  await doc.send(
    new PutCommand({ TableName: stack.tableName, Item: { ...REPORT.toItem(report), pk: LEGACY_REPORTS_PK } }),
  );
  return report;
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * Runs `body` (which files reports and looks at today's partition); when it failed while the UTC day
 * changed under it (a run at midnight: the day count and partition are the new day's), once more.
 */
async function withinOneDay(body: () => Promise<void>): Promise<void> {
  const start = today();
  try {
    await body();
  } catch (error) {
    if (today() === start) throw error;
    await body();
  }
}

/** A group of two with three messages, for reports. */
async function reportable() {
  const [ann, bob] = [await connectUser(stack), await connectUser(stack)];
  const chat = await makeGroup(ann, [bob.userId], 'Reported');
  const refs = [];
  for (const text of ['one', 'two', 'three']) {
    const message = await sendText(ann, chat.chatId, text);
    refs.push({ chatId: chat.chatId, messageId: message.messageId });
  }
  return { ann, bob, refs: refs as [(typeof refs)[0], (typeof refs)[0], (typeof refs)[0]] };
}

describe('reportMessage', () => {
  it('files into the partition of the day, not the shared one', () =>
    withinOneDay(async () => {
      const { ann, bob, refs } = await reportable();
      const { reportId } = await bob.ok('reportMessage', { ...refs[0], reason: 'spam' });
      const day = await stack.items(`REPORTS#${today()}`);
      expect(day.filter((item) => item.reporterId === bob.userId).map((item) => item.reportId)).toEqual([
        reportId,
      ]);
      expect((await stack.items(LEGACY_REPORTS_PK)).filter((item) => item.reporterId === bob.userId)).toEqual(
        [],
      );
      await closeAll(stack, ann, bob);
    }));

  it('takes at most 2 reports a day from one reporter (BAD_REQUEST naming messageId, nothing written)', () =>
    withinOneDay(async () => {
      const { ann, bob, refs } = await reportable();
      const first = await bob.ok('reportMessage', { ...refs[0], reason: 'spam' });
      await bob.ok('reportMessage', { ...refs[1], reason: 'spam' });
      await expectRefused(stack, bob, 'reportMessage', { ...refs[2], reason: 'spam' }, 'BAD_REQUEST', {
        message: /^"messageId" cannot be reported: you have reported 2 messages today/,
      });
      const mine = async () =>
        (await stack.items(`REPORTS#${today()}`)).filter((item) => item.reporterId === bob.userId).length;
      expect(await mine()).toBe(2);
      // Reporting again what was reported still answers the first report, at the cap too.
      expect(await bob.ok('reportMessage', { ...refs[0], reason: 'again' })).toEqual(
        expect.objectContaining({ reportId: first.reportId }),
      );
      // Another reporter's day is their own.
      await ann.ok('reportMessage', { ...refs[2], reason: 'mine' });
      await closeAll(stack, ann, bob);
    }));
});

describe('listReports', () => {
  it('lists the reports of the day, then those from before the days, newest first', async () => {
    const admin = await connectAdmin(stack);
    const older = await legacyReport('2026-11-30T10:00:00.000Z');
    const [ann, bob] = [await connectUser(stack), await connectUser(stack)];
    const chat = await makeGroup(ann, [bob.userId], 'Listed');
    const message = await sendText(ann, chat.chatId, 'bad');
    const fresh = await bob.ok('reportMessage', {
      chatId: chat.chatId,
      messageId: message.messageId,
      reason: 'x',
    });
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.ok('listReports', { limit: 1, ...(cursor ? { cursor } : {}) });
      ids.push(...(page.reports as { reportId: string }[]).map((r) => r.reportId));
      cursor = (page.nextCursor as string | null) ?? undefined;
    } while (cursor);
    expect(ids.indexOf(fresh.reportId as string)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(older.reportId)).toBeGreaterThan(ids.indexOf(fresh.reportId as string));
    expect(new Set(ids).size).toBe(ids.length);
    await closeAll(stack, ann, bob);
    admin.close();
  });

  it('pages across days, gaps of more than a page of days, and the partition from before them', async () => {
    // Days from 2025-01-01 on (a `from` in the past: the listing's floor), read as of 2025-04-01.
    const from = '2025-01-01';
    const at = (day: string, time: string) => `${day}T${time}.000Z`;
    const filed: ReportRecord[] = [];
    const file = async (createdAt: string) => {
      const report = {
        reportId: `r_${uniqueId('new').replace(/[^\w-]/g, '')}`,
        chatId: uniqueId('c'),
        messageId: uniqueId('m'),
        reporterId: uniqueId('u'),
        reason: 'listed',
        createdAt,
      };
      // A report checks that its chat is live (META there, not marked for deletion).
      await doc.send(new PutCommand({ TableName: stack.tableName, Item: { ...keys.chat(report.chatId) } }));
      expect(await store.reports.file(report, 1, 100)).toMatchObject({ status: 'filed' });
      filed.push(report);
    };
    for (const time of ['08:00:00', '09:00:00', '10:00:00']) await file(at('2025-03-30', time));
    await file(at('2025-03-29', '23:59:59'));
    // 2025-01-10 is more than REPORT_DAYS_PER_PAGE days before 2025-03-29.
    expect(Date.parse('2025-03-29') - Date.parse('2025-01-10')).toBeGreaterThan(
      REPORT_DAYS_PER_PAGE * 86_400_000,
    );
    await file(at('2025-01-10', '12:00:00'));
    // From before the days: one older than them, one on a day they cover (a deploy's overlap).
    const legacy = [
      await legacyReport(at('2024-12-20', '00:00:00')),
      await legacyReport(at('2025-03-29', '12:00:00')),
    ];
    const expected = [...filed, ...legacy]
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
      .map((r) => r.reportId);

    for (const limit of [1, 2, 3, 100]) {
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await store.reports.list(limit, after, '2025-04-01', from);
        expect(page.reports.length).toBeLessThanOrEqual(limit);
        seen.push(...page.reports.map((r) => r.reportId).filter((id) => expected.includes(id)));
        after = page.after;
        pages++;
      } while (after !== undefined && pages < 50);
      expect(after, `limit ${limit}`).toBeUndefined();
      expect(seen, `limit ${limit}`).toEqual(expected);
    }
  });
});

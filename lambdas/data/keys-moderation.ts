/**
 * The keys of what administrators read (issue 14): audit records and reports, each kind in one
 * partition per UTC day, and the markers and counts that go with reports (keys.ts builds every other
 * kind's keys; the table of item kinds there lists these too).
 */
import { chatPk, type Key, numbered, userPk } from './keys.ts';

/** The UTC day (`yyyy-mm-dd`) of an ISO 8601 UTC time. */
export const dayOf = (at: string): string => at.slice(0, 10);

/**
 * Audit records of administrator actions, one partition per UTC day:
 * `AUDIT#<yyyy-mm-dd>` / `<ISO 8601 time>#<auditId>`. "What did administrators do since T" is one
 * Query per day from T (sort key ≥ T); rare writes, so a day's partition is never hot.
 */
export const AUDIT_PREFIX = 'AUDIT#';
export const auditPk = (at: string): string => `${AUDIT_PREFIX}${dayOf(at)}`;
export const auditKey = (at: string, auditId: string): Key => ({ pk: auditPk(at), sk: `${at}#${auditId}` });

/**
 * Reports, one partition per UTC day of their `createdAt`, as the audit records:
 * `REPORTS#<yyyy-mm-dd>` / `<ISO 8601 time>#<reportId>`, so that no partition key holds more than a
 * day's reports (a table with local secondary indexes allows 10 GB per partition key value), and
 * `listReports` reads days backwards. Reports filed before 2026-12-04 are in the one partition
 * `REPORTS` (`LEGACY_REPORTS_PK`), never written again, read after the days (reports.ts).
 * That a user reported a message is a marker in the chat partition,
 * `CHAT#<chatId>` / `REPORT#<seq, 12 digits>#<reporterId>` (reporting twice is harmless), and how
 * many reports a user filed in a day a count in theirs, `USER#<id>` / `REPORTDAY#<yyyy-mm-dd>`.
 */
export const REPORTS_PREFIX = 'REPORTS#';
export const LEGACY_REPORTS_PK = 'REPORTS';
export const reportsPk = (day: string): string => `${REPORTS_PREFIX}${day}`;
export const reportKey = (createdAt: string, reportId: string): Key => ({
  pk: reportsPk(dayOf(createdAt)),
  sk: `${createdAt}#${reportId}`,
});
export const reportedKey = (chatId: string, seq: number, reporterId: string): Key => ({
  pk: chatPk(chatId),
  sk: `${numbered('REPORT#', seq)}#${reporterId}`,
});
export const reporterDayKey = (reporterId: string, day: string): Key => ({
  pk: userPk(reporterId),
  sk: `REPORTDAY#${day}`,
});

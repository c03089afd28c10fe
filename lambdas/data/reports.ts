/**
 * Reports of messages (issue 14): one item per report in the partition of its UTC day
 * (`REPORTS#<yyyy-mm-dd>`, listed newest first by administrators, paged across days; reports filed
 * before the days are in `REPORTS`, read after them), a marker per (message, reporter) in the chat
 * partition, so that reporting twice stores nothing new, and the reporter's count of the day (the
 * daily cap's lock). Access patterns in docs/data-model.md ("Reports").
 */
import type { Item } from './item.ts';
import { REPORT, REPORTED, type ReportRecord } from './items.ts';
import { keys, TTL_ATTRIBUTE } from './keys.ts';
import { dayOf, LEGACY_REPORTS_PK, reporterDayKey, reportsPk } from './keys-moderation.ts';
import { ifConditionFails, itemAbsent, itemExists, type TableClient } from './table-client.ts';

export type FileOutcome =
  | { readonly status: 'filed'; readonly reportId: string }
  /** The reporter had reported this message already: that report's id. */
  | { readonly status: 'duplicate'; readonly reportId: string }
  /** The reporter filed `maxPerDay` reports this UTC day already (nothing written). */
  | { readonly status: 'limit' }
  /** The chat is gone or marked for deletion (`deletedAt`): nothing was written. */
  | { readonly status: 'chat-gone' };

/**
 * The chat's `META` is there and not marked: a report checked before `deleteChat`'s mark but landing
 * after it is refused, so nothing new is written into a deleted chat's partition (nor the reports').
 */
const chatLive = `${itemExists} AND attribute_not_exists(deletedAt)`;

export interface ReportPage {
  readonly reports: ReportRecord[];
  /** Where the next page continues (below this sort key, or below this day), or undefined at the end. */
  readonly after: string | undefined;
}

/** The first day of the day partitions: every report filed into one was filed on it or later. */
export const REPORT_DAYS_FROM = '2026-12-04';
/** Day partitions one `list` reads at most (a page may end early, with a cursor, after that many). */
export const REPORT_DAYS_PER_PAGE = 31;

const DAY_MS = 24 * 60 * 60 * 1000;
const dayBefore = (day: string): string => new Date(Date.parse(day) - DAY_MS).toISOString().slice(0, 10);
/** A reporter's count of a day is kept until a day after that day ends (seconds since the epoch). */
const countExpiry = (day: string): number => Math.floor((Date.parse(day) + 2 * DAY_MS) / 1000);

export class ReportRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Files a report (TransactWriteItems: the reporter's marker, condition absent, the report, the
   * reporter's count of the day, condition under `maxPerDay`, and a ConditionCheck that the chat is
   * live; sent again while other transactions hold `META`). When the chat is not live, nothing is
   * written (`chat-gone`); when the marker exists, nothing is written and the earlier report's id
   * comes back; at the cap, nothing is written (`limit`).
   */
  async file(report: ReportRecord, seq: number, maxPerDay: number): Promise<FileOutcome> {
    const ref = { chatId: report.chatId, seq, reporterId: report.reporterId };
    const day = dayOf(report.createdAt);
    const written = this.table.transactThroughConflicts([
      {
        Put: {
          Item: REPORTED.toItem({ ...ref, reportId: report.reportId, createdAt: report.createdAt }),
          ConditionExpression: itemAbsent,
        },
      },
      { Put: { Item: REPORT.toItem(report) } },
      {
        Update: {
          Key: reporterDayKey(report.reporterId, day),
          UpdateExpression: 'ADD #count :one SET itemType = :type, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':one': 1,
            ':max': maxPerDay,
            ':type': 'reporterDay',
            ':ttl': countExpiry(day),
          },
        },
      },
      { ConditionCheck: { Key: keys.chat(report.chatId), ConditionExpression: chatLive } },
    ]);
    return ifConditionFails(
      written.then((): FileOutcome => ({ status: 'filed', reportId: report.reportId })),
      async ({ reasons: [marker, , count, chat], error }): Promise<FileOutcome> => {
        if (chat?.conditionFailed) return { status: 'chat-gone' };
        if (!marker?.conditionFailed) {
          if (count?.conditionFailed) return { status: 'limit' };
          throw error;
        }
        const earlier = await this.table.get(REPORTED.key(ref), { consistent: true });
        if (!earlier) throw error;
        return { status: 'duplicate', reportId: REPORTED.fromItem(earlier).reportId };
      },
    );
  }

  /**
   * A page of reports, newest first, below `after` (a report's sort key, or a day `yyyy-mm-dd`:
   * below that day), else from `today` on: Queries backwards on the day partitions, one day after
   * the other, until `limit` + 1 are found, `REPORT_DAYS_PER_PAGE` days were read (the page may then
   * end early, its cursor the last day read) or the days reach `REPORT_DAYS_FROM`; and one Query of
   * the partition from before the days, `REPORTS`, merged in for what the days read cover (not below
   * the oldest report found, when enough were; not below the last day read, when the days go on).
   * `from` replaces `REPORT_DAYS_FROM` (tests).
   */
  async list(
    limit: number,
    after: string | undefined,
    today: string,
    from = REPORT_DAYS_FROM,
  ): Promise<ReportPage> {
    const below = after ?? '~'; // `~` sorts after every ISO time
    let day = after === undefined ? today : after.length === 10 ? dayBefore(after) : dayOf(after);
    const floor = [day, from].sort()[0] ?? from; // the earlier day (they sort as strings)
    const found: Item[] = [];
    for (let read = 0; day >= floor && found.length <= limit && read < REPORT_DAYS_PER_PAGE; read++) {
      found.push(...(await this.#newest(reportsPk(day), below, limit + 1 - found.length)));
      day = dayBefore(day);
    }
    const daysLeft = day >= floor;
    const lastRead = nextDay(day);
    const enough = found.length > limit ? String(found.at(-1)?.sk) : undefined;
    const legacy = await this.#newest(
      LEGACY_REPORTS_PK,
      below,
      limit + 1,
      enough ?? (daysLeft ? lastRead : undefined),
    );
    const merged = [...found, ...legacy].sort((a, b) => (String(a.sk) < String(b.sk) ? 1 : -1));
    const items = merged.slice(0, limit);
    const last = items.at(-1)?.sk;
    let next: string | undefined;
    if (merged.length > limit && typeof last === 'string') next = last;
    else if (daysLeft) next = lastRead;
    return { reports: items.map((item) => REPORT.fromItem(item)), after: next };
  }

  /** Up to `count` items of a partition with sort keys below `below` (and ≥ `atLeast`), newest first. */
  async #newest(pk: string, below: string, count: number, atLeast?: string): Promise<Item[]> {
    const page = await this.table.queryPage({
      KeyConditionExpression:
        atLeast === undefined ? 'pk = :pk AND sk < :below' : 'pk = :pk AND sk BETWEEN :atLeast AND :below',
      ExpressionAttributeValues: {
        ':pk': pk,
        ':below': below,
        ...(atLeast === undefined ? {} : { ':atLeast': atLeast }),
      },
      ScanIndexForward: false,
      Limit: count,
    });
    return page.items.filter((item) => String(item.sk) < below);
  }
}

const nextDay = (day: string): string => new Date(Date.parse(day) + DAY_MS).toISOString().slice(0, 10);

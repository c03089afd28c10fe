/**
 * Reports of messages (issue 14): one item per report in the `REPORTS` partition (listed newest
 * first by administrators, paged) and a marker per (message, reporter) in the chat partition, so
 * that reporting twice stores nothing new. Access patterns in docs/data-model.md ("Reports").
 */
import type { Item } from './item.ts';
import { REPORT, REPORTED, type ReportRecord } from './items.ts';
import { REPORTS_PK } from './keys.ts';
import { ifConditionFails, itemAbsent, type TableClient } from './table-client.ts';

export type FileOutcome =
  | { readonly status: 'filed'; readonly reportId: string }
  /** The reporter had reported this message already: that report's id. */
  | { readonly status: 'duplicate'; readonly reportId: string };

export interface ReportPage {
  readonly reports: ReportRecord[];
  /** The sort key to continue after, or undefined on the last page. */
  readonly after: string | undefined;
}

export class ReportRepository {
  constructor(private readonly table: TableClient) {}

  /**
   * Files a report (TransactWriteItems: the reporter's marker, condition absent, and the report).
   * When the marker exists, nothing is written and the earlier report's id comes back.
   */
  async file(report: ReportRecord, seq: number): Promise<FileOutcome> {
    const ref = { chatId: report.chatId, seq, reporterId: report.reporterId };
    const written = this.table.transact([
      {
        Put: {
          Item: REPORTED.toItem({ ...ref, reportId: report.reportId, createdAt: report.createdAt }),
          ConditionExpression: itemAbsent,
        },
      },
      { Put: { Item: REPORT.toItem(report) } },
    ]);
    return ifConditionFails(
      written.then((): FileOutcome => ({ status: 'filed', reportId: report.reportId })),
      async ({ reasons: [marker], error }): Promise<FileOutcome> => {
        if (!marker?.conditionFailed) throw error;
        const earlier = await this.table.get(REPORTED.key(ref), { consistent: true });
        if (!earlier) throw error;
        return { status: 'duplicate', reportId: REPORTED.fromItem(earlier).reportId };
      },
    );
  }

  /**
   * A page of reports, newest first (Query backwards on `REPORTS`, one more than asked to know
   * whether more exist), after the sort key `after`.
   */
  async list(limit: number, after: string | undefined): Promise<ReportPage> {
    const page = await this.table.queryPage({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': REPORTS_PK },
      ScanIndexForward: false,
      Limit: limit + 1,
      ...(after ? { ExclusiveStartKey: { pk: REPORTS_PK, sk: after } } : {}),
    });
    const items = page.items.slice(0, limit);
    const more = page.items.length > limit || page.lastKey !== undefined;
    const last: Item | undefined = items.at(-1);
    return {
      reports: items.map((item) => REPORT.fromItem(item)),
      after: more && typeof last?.sk === 'string' ? last.sk : undefined,
    };
  }
}

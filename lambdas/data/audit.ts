/**
 * Audit records of administrator actions (issue 14): written once per action, read by day
 * partitions (keys.ts `auditKey`; docs/data-model.md "Audit records"). Read by `npm run audit`.
 */
import { AUDIT, type AuditRecord } from './items.ts';
import { auditPk } from './keys-moderation.ts';
import type { TableClient } from './table-client.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export class AuditRepository {
  constructor(private readonly table: TableClient) {}

  /** Stores one record (PutItem; ids are unique, so no condition is needed). */
  async record(entry: AuditRecord): Promise<void> {
    await this.table.put({ Item: AUDIT.toItem(entry) });
  }

  /**
   * Records from `since` to `until` (ISO 8601), oldest first: one Query per UTC day in the range,
   * on that day's partition with the sort key in [since, until].
   */
  async listBetween(since: string, until: string): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    const last = Date.parse(until.slice(0, 10));
    for (let day = Date.parse(since.slice(0, 10)); day <= last; day += DAY_MS) {
      const items = await this.table.queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': auditPk(new Date(day).toISOString()),
          ':from': since,
          ':to': `${until}#~`,
        },
        ConsistentRead: true,
      });
      out.push(...items.map((item) => AUDIT.fromItem(item)));
    }
    return out;
  }
}

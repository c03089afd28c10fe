/**
 * `npm run audit -- --since 1h`: what administrators did (issue 14), oldest first, one line each:
 * when, who, what and the target. Reads the audit records (`AUDIT#<day>` partitions: one Query per
 * day, never a Scan; docs/data-model.md "Audit records").
 *
 *   --since 1h|30m|2d|<ISO time>   from when (default 24h)
 *   --until <ISO time>             up to when (default now)
 *   --table <name>                 the table (default $TABLE_NAME, or `chat` with --local)
 *   --local                        the local stack's DynamoDB Local: $DYNAMODB_ENDPOINT, else the
 *                                  running `npm run dev`'s (it leaves it in .dev/local.json), else
 *                                  http://127.0.0.1:8000
 *   --endpoint <url>               any DynamoDB endpoint
 *   --json                         one JSON object per line instead of text
 *
 * On AWS it uses the SDK's credentials and region from the environment (AWS_PROFILE, AWS_REGION…);
 * the table name is the stack's `TableName` output.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AuditRepository } from '../lambdas/data/audit.ts';
import type { AuditRecord } from '../lambdas/data/items.ts';
import { TableClient } from '../lambdas/data/table-client.ts';
import { documentClient, TABLE_OPTIONS, tableTarget } from './table-target.ts';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1h`, `30m`, `2d`, `90s` before `now`, or an ISO 8601 time. */
export function parseSince(value: string, now: Date): string {
  const relative = /^(\d+)([smhd])$/.exec(value.trim());
  if (relative) {
    const [, amount, unit] = relative;
    return new Date(now.getTime() - Number(amount) * (UNITS[unit ?? 'h'] ?? 0)).toISOString();
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new Error(`--since must be like 1h, 30m, 2d or an ISO time, not "${value}"`);
  return new Date(at).toISOString();
}

export function formatRecord(r: AuditRecord): string {
  const target = [
    r.chatId && `chat ${r.chatId}`,
    r.userId && `user ${r.userId}`,
    r.messageId && `message ${r.messageId}`,
    r.eraseMessages && 'eraseMessages',
  ]
    .filter(Boolean)
    .join(', ');
  return `${r.at}  ${r.actorId}  ${r.action}  ${target}`;
}

export async function readAudit(options: {
  readonly since: string;
  readonly until: string;
  readonly tableName: string;
  readonly endpoint?: string | undefined;
}): Promise<AuditRecord[]> {
  const doc = documentClient(options.endpoint);
  try {
    return await new AuditRepository(new TableClient(doc, options.tableName)).listBetween(
      options.since,
      options.until,
    );
  } finally {
    doc.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      since: { type: 'string', default: '24h' },
      until: { type: 'string' },
      ...TABLE_OPTIONS,
      json: { type: 'boolean', default: false },
    },
  });
  const now = new Date();
  const { tableName, endpoint, notice } = tableTarget(values);
  if (notice) process.stderr.write(`${notice}\n`);
  const records = await readAudit({
    since: parseSince(values.since, now),
    until: values.until ? parseSince(values.until, now) : now.toISOString(),
    tableName,
    endpoint,
  });
  for (const r of records) process.stdout.write(`${values.json ? JSON.stringify(r) : formatRecord(r)}\n`);
  if (!values.json) process.stderr.write(`${records.length} administrator action(s)\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}

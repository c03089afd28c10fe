/**
 * `npm run repair:block-mirror -- --table <name>`: removes the blocks' mirror (`blocksMirrored` and
 * `blockedSenders`, lambdas/domain/block-mirror.ts) from every direct chat's `META`, so that sends read
 * the block items again and each chat is mirrored afresh after its next send.
 *
 * Run it when code older than the mirror has served the table after the mirror was written (a
 * rollback past it, or an older build deployed), before the newer code serves it again: the older
 * `blockUser` / `unblockUser` changed block items without the mirror (docs/deploy.md, "The blocks'
 * mirror"). Safe at any time: each chat loses its flag and its set in one conditional update, and a
 * chat without the flag is checked by reading the block items. It is the one Scan in the project (an
 * operator's repair, never a request's access pattern): filtered to the mirrored chats, keys only.
 *
 *   --table <name>     the table (default $TABLE_NAME, or `chat` with --local)
 *   --local            the local stack's DynamoDB Local: $DYNAMODB_ENDPOINT, else the running
 *                      `npm run dev`'s (.dev/local.json), else http://127.0.0.1:8000
 *   --endpoint <url>   any DynamoDB endpoint
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, TABLE_OPTIONS, tableTarget } from './table-target.ts';

/** Updates in flight at once. */
const CONCURRENCY = 16;

/** Removes the mirror from every mirrored chat; how many chats it repaired. */
export async function repairBlockMirror(doc: DynamoDBDocumentClient, tableName: string): Promise<number> {
  let repaired = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'attribute_exists(blocksMirrored) OR attribute_exists(blockedSenders)',
        ProjectionExpression: 'pk, sk',
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    const keys = (page.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
    for (let i = 0; i < keys.length; i += CONCURRENCY) {
      await Promise.all(
        keys.slice(i, i + CONCURRENCY).map((Key) =>
          doc.send(
            new UpdateCommand({
              TableName: tableName,
              Key,
              UpdateExpression: 'REMOVE blocksMirrored, blockedSenders',
              ConditionExpression: 'attribute_exists(pk)',
            }),
          ),
        ),
      );
      repaired += Math.min(CONCURRENCY, keys.length - i);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return repaired;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: TABLE_OPTIONS });
  const { tableName, endpoint, notice } = tableTarget(values);
  if (notice) process.stderr.write(`${notice}\n`);
  const doc = documentClient(endpoint);
  try {
    const repaired = await repairBlockMirror(doc, tableName);
    process.stderr.write(`${repaired} direct chat(s) will be mirrored afresh after their next send\n`);
  } finally {
    doc.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}

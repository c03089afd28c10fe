/**
 * DynamoDB calls one at a time, nothing else in flight, on the stack's own (warm) table and through
 * the handlers' own client: what one round trip of each kind a send makes costs on this machine
 * when it does not share DynamoDB Local and the event loop with the send's other calls. Against the
 * same kinds' durations inside sends (`bench/send-sequence.ts`), it tells how much of a send's time
 * is its calls' contention rather than their number.
 *
 * The items live in a partition of their own (`BENCH#lone`), which no access pattern of the
 * product reads; the put is message-sized.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { median } from './scenarios/measure.ts';

const PK = 'BENCH#lone';

const ms = (values: number[]): number => Math.round(median(values) * 100) / 100;

/** Median ms per call of each kind over `calls` calls (after one unmeasured round of each). */
export async function loneCalls(
  doc: DynamoDBDocumentClient,
  tableName: string,
  text: string,
  calls = 300,
): Promise<{ PutItem: number; UpdateItem: number; Query: number }> {
  const kinds = {
    PutItem: (i: number) =>
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: PK,
          sk: `MSG#${i % 50}`,
          text,
          senderId: 'lone',
          seq: i,
          ver: i,
          createdAt: new Date().toISOString(),
        },
      }),
    UpdateItem: () =>
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: PK, sk: 'META' },
        UpdateExpression: 'SET lastSeq = if_not_exists(lastSeq, :zero) + :one',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    Query: () =>
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
        ExpressionAttributeValues: { ':pk': PK, ':msg': 'MSG#' },
        Limit: 2,
        ConsistentRead: true,
      }),
  };
  const durations: Record<keyof typeof kinds, number[]> = { PutItem: [], UpdateItem: [], Query: [] };
  for (const round of [0, 1]) {
    // Interleaved, as a send's calls are: each kind meets the engine in the same state.
    for (let i = 0; i < (round === 0 ? 20 : calls); i++) {
      for (const [kind, make] of Object.entries(kinds) as [keyof typeof kinds, (i: number) => unknown][]) {
        const started = performance.now();
        await doc.send(make(i) as never);
        if (round === 1) durations[kind].push(performance.now() - started);
      }
    }
  }
  return {
    PutItem: ms(durations.PutItem),
    UpdateItem: ms(durations.UpdateItem),
    Query: ms(durations.Query),
  };
}

/**
 * The DynamoDB transport alone: per call, the wall time and this process's CPU of the SDK's document
 * client against the light data commands (lambdas/data/light-dynamo.ts) on the same DynamoDB Local,
 * alternating round by round (the machine is shared: compare within one run).
 *
 *   npx tsx bench/dynamo-transport.ts [calls per round=2000] [rounds=2]
 *
 * Prints one JSON line: per command and client, the median over rounds of wall ms and CPU ms per call.
 */
import './env.ts';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { lightDynamo } from '../lambdas/data/light-dynamo.ts';
import { startDynamoLocal } from '../local/dynamodb.ts';
import { ensureTable } from '../local/dynamodb-table.ts';

const calls = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 2);
const dynamo = await startDynamoLocal();
const TableName = `transport-${randomBytes(4).toString('hex')}`;
await ensureTable(dynamo.endpoint, TableName, { stream: false });
const translate = { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } };
const client = (light: boolean) => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.endpoint, maxAttempts: 3 }),
    translate,
  );
  return light ? lightDynamo(doc) : doc;
};
const clients = { sdk: client(false), light: client(true) };
const text = 'The quick brown fox jumps over the lazy dog. '.repeat(22); // about 1 KB
const commands = {
  PutItem: (i: number) =>
    new PutCommand({ TableName, Item: { pk: `T#${i % 50}`, sk: `M#${i}`, text, n: i } }),
  GetItem: (i: number) => new GetCommand({ TableName, Key: { pk: `T#${i % 50}`, sk: `M#${i}` } }),
  Query: (i: number) =>
    new QueryCommand({
      TableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `T#${i % 50}` },
      Limit: 2,
      ConsistentRead: true,
    }),
};
type Sample = { wallMs: number; cpuMs: number };
const samples: Record<string, Sample[]> = {};
for (let round = 0; round < rounds + 1; round++) {
  for (const [name, make] of Object.entries(commands)) {
    for (const [kind, doc] of Object.entries(clients)) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) await doc.send(make(i) as never);
      const cpu = process.cpuUsage(cpu0);
      // Round 0 warms up both clients and DynamoDB Local's JIT.
      if (round > 0) {
        const sample = {
          wallMs: (performance.now() - t0) / calls,
          cpuMs: (cpu.user + cpu.system) / 1000 / calls,
        };
        samples[`${name} ${kind}`] = [...(samples[`${name} ${kind}`] ?? []), sample];
      }
    }
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
const r3 = (n: number) => Math.round(n * 1000) / 1000;
console.log(
  JSON.stringify(
    Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [
        k,
        { wallMs: r3(median(v.map((s) => s.wallMs))), cpuMs: r3(median(v.map((s) => s.cpuMs))) },
      ]),
    ),
  ),
);
await dynamo.stop();
process.exit(0);

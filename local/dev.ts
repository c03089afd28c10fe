/**
 * `npm run dev`: the whole product on this machine, no AWS account needed.
 *
 *   PORT=3001             gateway port
 *   HOST=127.0.0.1        listen address (0.0.0.0 to reach it from a phone on your network)
 *   DYNAMODB_DATA_DIR=dir keep DynamoDB Local's data in a folder (also: --persist [dir])
 *   DYNAMODB_ENDPOINT=url use a DynamoDB (Local) that is already running
 *   --no-seed / SEED=0    do not load the demo users and chats
 */
import { parseArgs } from 'node:util';
import { JAVA_MISSING } from './dynamodb.ts';
import { DEMO_USERS, seedDemoData } from './seed.ts';
import { startLocalStack } from './stack.ts';
import { devToken } from './token.ts';

const { values } = parseArgs({
  options: { persist: { type: 'string' }, port: { type: 'string' }, 'no-seed': { type: 'boolean' } },
  allowPositionals: false,
});
const port = Number(values.port ?? process.env.PORT ?? 3001);
const dbPath = values.persist ?? process.env.DYNAMODB_DATA_DIR;
const host = process.env.HOST ?? '127.0.0.1';

let stack: Awaited<ReturnType<typeof startLocalStack>>;
try {
  stack = await startLocalStack({
    port,
    host,
    ...(dbPath ? { dbPath } : {}),
    ...(process.env.DYNAMODB_ENDPOINT ? { dynamoEndpoint: process.env.DYNAMODB_ENDPOINT } : {}),
    onInvoke: ({ routeKey, ms, error }) => {
      if (error) process.stderr.write(`✗ ${routeKey} failed after ${ms.toFixed(0)} ms: ${String(error)}\n`);
    },
  });
} catch (error) {
  const message = (error as Error).message;
  process.stderr.write(
    `${message === JAVA_MISSING ? message : `Could not start the local stack: ${message}`}\n`,
  );
  process.exit(1);
}

const seed = values['no-seed'] || process.env.SEED === '0' ? undefined : await seedDemoData();
const token = await devToken('demo', { name: 'Demo User', ttlSeconds: 24 * 3600 });
const demoTokens = seed
  ? await Promise.all(
      DEMO_USERS.map(async (u) => ({
        ...u,
        token: await devToken(u.userId, { name: u.name, ttlSeconds: 24 * 3600 }),
      })),
    )
  : [];
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the gateway and DynamoDB Local…\n`);
  await stack.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

const wsUrl = stack.url.replace('127.0.0.1', 'localhost');
process.stdout.write(
  `Ready: ${wsUrl} · demo token: ${token} · try: npx wscat -c "${wsUrl}/?token=${token}"\n` +
    [
      `  DynamoDB Local: ${stack.dynamoEndpoint}${dbPath ? ` (data kept in ${dbPath})` : ' (in memory)'}`,
      '  In wscat send {"action":"ping"}. More tokens: npm run token -- <userId> --name "Name".',
      ...(seed
        ? [
            `  Demo data ${seed.seeded ? 'loaded' : 'already present'}: users ${DEMO_USERS.map((u) => u.userId).join(', ')};` +
              ' chats: a direct chat alice–bob, groups "General" (everyone) and "Project X" (admin, alice, carol).',
            ...demoTokens.map((u) => `  ${u.userId.padEnd(6)} npx wscat -c "${wsUrl}/?token=${u.token}"`),
          ]
        : []),
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
);

/**
 * `npm run dev`: the whole product on this machine, no AWS account needed.
 *
 *   PORT=3001             gateway port
 *   HOST=127.0.0.1        gateway listen address (0.0.0.0 to reach it from a phone on your network;
 *                         then JWT_SECRET must be set: the public dev secret is refused)
 *   DYNAMODB_DATA_DIR=dir keep DynamoDB Local's data in a folder (also: --persist [dir])
 *   DYNAMODB_ENDPOINT=url use a DynamoDB (Local) that is already running
 *   DEV_STATE_FILE=path   where to leave the endpoint for `--local` scripts (default .dev/local.json)
 *   DYNAMODB_HOST=addr    DynamoDB Local's listen address (default 127.0.0.1)
 *   PRE_SEND_HOOK=module  the pre-send hook (also: --hook module; docs/hooks.md)
 *   --no-seed / SEED=0    do not load the demo users and chats
 *   --push-id-only / PUSH_ID_ONLY=true  pushes carry ids only (the privacy option)
 *   DEV_STOP_DEADLINE_MS=ms  shortens the graceful stop's deadline (default 10000; tests shorten it)
 */
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setFunctionLogLevel } from '../lambdas/shared/logger.ts';
import { AUTHORIZER, ROUTES } from '../lib/routes.ts';
import { SCHEDULED_FUNCTIONS } from '../lib/scheduled-functions.ts';
import { STREAM_CONSUMERS } from '../lib/stream-consumers.ts';
import { WORKERS } from '../lib/workers.ts';
import { localAuthProblem } from './auth-config.ts';
import { DEFAULT_PORT, LOOPBACK_HOST } from './defaults.ts';
import { readyBanner } from './dev-banner.ts';
import { lockDataDir, lockRefusal } from './dev-lock.ts';
import { clearDevState, writeDevState } from './dev-state.ts';
import { freePort, JAVA_MISSING } from './dynamodb.ts';
import { DEMO_USERS, seedDemoData } from './seed.ts';
import { type LocalStack, loader, ROOT, startLocalStack } from './stack.ts';
import { devSessionTtlSeconds, devToken } from './token.ts';
import { buildWeb, deactivatedInTable, webRoutes } from './web.ts';

/** Where `--persist` without a folder keeps the data (git-ignored). */
const DEFAULT_DATA_DIR = resolve(ROOT, '.dynamodb');

// Ctrl-C (SIGINT), SIGTERM or SIGHUP at any time stops everything (within STOP_DEADLINE_MS). During
// start-up there is nothing to stop gracefully yet: exiting runs DynamoDB Local's exit hook, which
// kills the Java process. A second signal while stopping forces the exit, unless it is the first
// one again: Ctrl-C reaches this process from the terminal and once more through npm, which passes
// its signals on (`exec` in package.json makes this process npm's child, so a SIGTERM to npm alone
// stops it too).
let stack: LocalStack | undefined;
let stoppingSince: number | undefined;
/** Within this time a repeat of the signal is the same request (npm passing the terminal's on). */
const REPEAT_MS = 1000;
/**
 * The graceful stop's deadline: then dev exits with code 1 (DynamoDB Local killed by its exit hook).
 * `DEV_STOP_DEADLINE_MS` shortens it (tests of a hung stop), never lengthens it.
 */
const askedDeadline = Number(process.env.DEV_STOP_DEADLINE_MS);
const STOP_DEADLINE_MS = askedDeadline > 0 ? Math.min(10_000, askedDeadline) : 10_000;
async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stoppingSince !== undefined) {
    if (Date.now() - stoppingSince < REPEAT_MS) return;
    process.stderr.write(`${signal} again: exiting now.\n`);
    process.exit(1);
  }
  stoppingSince = Date.now();
  process.stdout.write(`\n${signal}: stopping the gateway and DynamoDB Local…\n`);
  // A part that does not answer (a hung DynamoDB Local) must not keep the stop waiting for ever.
  setTimeout(() => {
    process.stderr.write(`Could not stop within ${STOP_DEADLINE_MS / 1000} s: exiting now.\n`);
    process.exit(1);
  }, STOP_DEADLINE_MS).unref();
  clearDevState(process.pid);
  await stack?.stop();
  process.exit(exitCode);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// The terminal closed (or a process manager's hang-up): the same graceful stop.
process.on('SIGHUP', () => void shutdown('SIGHUP'));

function parseCommandLine(argv: string[]) {
  // `--persist` takes an optional folder: give it the default when none follows.
  const args = argv.flatMap((arg, i) =>
    arg === '--persist' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('-'))
      ? [arg, DEFAULT_DATA_DIR]
      : [arg],
  );
  try {
    return parseArgs({
      args,
      options: {
        persist: { type: 'string' },
        port: { type: 'string' },
        'no-seed': { type: 'boolean' },
        'push-id-only': { type: 'boolean' },
        hook: { type: 'string' },
      },
      allowPositionals: false,
    }).values;
  } catch (error) {
    process.stderr.write(
      `${(error as Error).message}\nusage: npm run dev [-- --persist [dir]] [--port N] [--no-seed] [--push-id-only] [--hook module.ts]\n`,
    );
    process.exit(2);
  }
}

const values = parseCommandLine(process.argv.slice(2));
const port = Number(values.port ?? process.env.PORT ?? DEFAULT_PORT);
const dbPath = values.persist ?? process.env.DYNAMODB_DATA_DIR;
const host = process.env.HOST ?? LOOPBACK_HOST;
const seeding = !(values['no-seed'] || process.env.SEED === '0');
// An auth configuration the authorizer cannot use (JWT_SECRET under 32 bytes, JWT_JWKS_URL without
// JWT_ISSUER/JWT_AUDIENCE, a bad JWT_MAX_LIFETIME_SECONDS…) would answer every handshake with 500:
// refused before anything starts (startLocalStack checks it too).
const authProblem = localAuthProblem(process.env);
if (authProblem) {
  process.stderr.write(`Could not start: ${authProblem}\n`);
  process.exit(1);
}
// The banner's and the demo users' tokens live 24 h, or JWT_MAX_LIFETIME_SECONDS if shorter: the
// local authorizer reads that variable too, and would refuse longer-lived ones.
const sessionTtl = devSessionTtlSeconds();
const externalDynamo = process.env.DYNAMODB_ENDPOINT || undefined;

// The sweep of scheduled messages logs a line every minute: a detail here (LOG_LEVEL=DEBUG shows it).
if ((process.env.LOG_LEVEL ?? 'INFO').toUpperCase() === 'INFO') {
  setFunctionLogLevel(SCHEDULED_FUNCTIONS.sweeper.name, 'WARN');
}

// The web chat (web/), built in memory, on the gateway's port; the picker offers the demo users.
let web: Awaited<ReturnType<typeof buildWeb>>;
try {
  web = await buildWeb({ mode: 'local' });
} catch (error) {
  process.stderr.write(`Could not build the web page (web/): ${(error as Error).message}\n`);
  process.exit(1);
}
// The pre-send hook (docs/hooks.md): --hook hooks/word-filter.ts, or PRE_SEND_HOOK.
if (values.hook) process.env.PRE_SEND_HOOK = values.hook;

/** Exits with code 1 if the gateway's port is taken, naming the options that change it. */
async function refuseTakenPort(error?: unknown): Promise<void> {
  const taken =
    error === undefined
      ? await new Promise<boolean>((resolveTaken) => {
          const probe = createServer();
          probe.once('error', (e: NodeJS.ErrnoException) => resolveTaken(e.code === 'EADDRINUSE'));
          probe.listen(port, host, () => probe.close(() => resolveTaken(false)));
        })
      : (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
  if (!taken) return;
  const other = await freePort();
  process.stderr.write(
    `Could not start: port ${port} is in use (another \`npm run dev\`?). Choose another: \`npm run dev -- --port ${other}\` or \`PORT=${other} npm run dev\`.\n`,
  );
  process.exit(1);
}
// Checked before DynamoDB Local starts (seconds), and again should the gateway still find it taken.
if (port !== 0) await refuseTakenPort();
// One dev per data folder (local/dev-lock.ts): the second is refused before it touches anything.
if (dbPath) {
  const held = lockDataDir(resolve(dbPath));
  if (held) {
    process.stderr.write(`${lockRefusal(resolve(dbPath), held.heldBy)}\n`);
    process.exit(1);
  }
}

try {
  stack = await startLocalStack({
    port,
    host,
    ...(dbPath ? { dbPath } : {}),
    ...(externalDynamo ? { dynamoEndpoint: externalDynamo } : {}),
    ...(process.env.DYNAMODB_HOST ? { dynamoHost: process.env.DYNAMODB_HOST } : {}),
    ...(values['push-id-only'] || process.env.PUSH_ID_ONLY === 'true' ? { pushIdOnly: true } : {}),
    // DynamoDB Local gone (a crash, a kill): nothing works any more; say so and stop, exit code 1.
    onDynamoExit: (message) => {
      process.stderr.write(`${message}\n`);
      void shutdown('DynamoDB Local exited', 1);
    },
    httpRoutes: [
      webRoutes({ assets: web, users: seeding ? DEMO_USERS : [], deactivated: deactivatedInTable }),
    ],
    onInvoke: ({ routeKey, ms, error }) => {
      if (error) process.stderr.write(`✗ ${routeKey} failed after ${ms.toFixed(0)} ms: ${String(error)}\n`);
    },
  });
} catch (error) {
  await refuseTakenPort(error);
  const message = (error as Error).message;
  process.stderr.write(
    `${message === JAVA_MISSING ? message : `Could not start the local stack: ${message}`}\n`,
  );
  process.exit(1);
}

// Every handler is loaded before the ready line: Ctrl-C also stops tsx's esbuild service (a child in
// the terminal's process group), after which no module can be compiled, and the graceful stop runs
// handlers ($disconnect for each open socket, the stream's consumers).
await Promise.all(
  [AUTHORIZER, ...ROUTES, ...WORKERS, ...STREAM_CONSUMERS, ...Object.values(SCHEDULED_FUNCTIONS)].map((f) =>
    loader(f.entry)(),
  ),
);

const seed = seeding ? await seedDemoData() : undefined;
const token = await devToken('demo', { name: 'Demo User', ttlSeconds: sessionTtl });
const demoTokens = seed
  ? await Promise.all(
      DEMO_USERS.map(async (u) => ({
        ...u,
        // The demo `admin` user is an administrator (its `roles`, local/seed.ts), as in the web picker.
        token: await devToken(u.userId, {
          name: u.name,
          ttlSeconds: sessionTtl,
          ...('roles' in u ? { roles: u.roles } : {}),
        }),
      })),
    )
  : [];

const wsUrl = stack.url.replace(LOOPBACK_HOST, 'localhost');
process.stdout.write(
  readyBanner({
    wsUrl,
    token,
    dynamoEndpoint: stack.dynamoEndpoint,
    externalDynamo: externalDynamo !== undefined,
    dbPath,
    s3Endpoint: stack.s3Endpoint,
    bucket: stack.mediaBucket,
    pushUrl: `${stack.gateway.managementEndpoint.replace('127.0.0.1', 'localhost')}/_local/push`,
    ...(seed ? { seed: { seeded: seed.seeded, users: demoTokens } } : {}),
  }),
);
// `npm run audit -- --local` and the other table scripts find this DynamoDB here (local/dev-state.ts).
writeDevState({ pid: process.pid, dynamoEndpoint: stack.dynamoEndpoint, tableName: stack.tableName });

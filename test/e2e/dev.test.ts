/**
 * `npm run dev` as a real child process: the ready line, a pong through the printed
 * command's URL, a clean stop on Ctrl-C and on a SIGTERM to npm alone (no Java process, no child, no
 * open port), the endpoint left for `--local` scripts, data kept across restarts with
 * `--persist`/`DYNAMODB_DATA_DIR`, and the failure without Java (the token script: dev-token.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lambdas/auth/verifier.ts';
import { DEFAULT_TABLE_NAME } from '../../local/defaults.ts';
import { freePort, JAVA_MISSING } from '../../local/dynamodb.ts';
import { LOCAL_S3_OWNER } from '../../local/s3.ts';
import { tableTarget } from '../../scripts/table-target.ts';
import { eventually } from '../support/client.ts';
import { cleanEnv } from '../support/dev-process.ts';
import {
  alive,
  DevProcess,
  dynamoProcessesOn,
  ping,
  type Ready,
  ready as readyLines,
  START_TIMEOUT_MS,
} from '../support/dev-run.ts';
import { listening, networkAddresses } from '../support/net.ts';

/** Waits for the ready lines and tracks the Java process (killed at the end should a test fail). */
async function ready(dev: DevProcess): Promise<Ready> {
  const info = await readyLines(dev);
  ourPids.push(info.javaPid, ...info.childPids);
  return info;
}

/**
 * Stops dev and checks that everything is gone: exit 0, no Java, no descendant, no open port.
 * `group`: the signal goes to the whole process group, as Ctrl-C in a terminal; else to the one
 * process (npm's, when started through npm: as a process manager stops it).
 */
async function expectCleanStop(
  dev: DevProcess,
  info: Ready,
  signal: NodeJS.Signals,
  options: { group?: boolean } = {},
): Promise<void> {
  if (options.group) dev.signalGroup(signal);
  else dev.child.kill(signal);
  const exit = await dev.exited;
  expect(exit, dev.stderr).toEqual({ code: 0, signal: null });
  expect(dev.lines.join('\n')).toContain(`${signal}: stopping`);
  expect(dev.stderr).not.toContain('again');
  await eventually(() => !alive(info.javaPid), 10_000);
  for (const pid of info.childPids) await eventually(() => !alive(pid), 10_000);
  expect(dynamoProcessesOn(info.dynamoPort)).toEqual([]);
  expect(await listening(info.port)).toBe(false);
  expect(await listening(info.dynamoPort)).toBe(false);
}

function dynamo(endpoint: string) {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}

// Whatever happens, no process of ours outlives the file.
const started: DevProcess[] = [];
/** Every DynamoDB Local and other descendant seen under a dev process (killed at the end should a test fail). */
const ourPids: number[] = [];
const tempDirs: string[] = [];
afterAll(async () => {
  for (const dev of started) {
    if (dev.child.exitCode !== null || dev.child.signalCode !== null) continue;
    const descendants = dev.descendants();
    dev.child.kill('SIGTERM');
    const stopped = await Promise.race([
      dev.exited,
      new Promise((r) => setTimeout(() => r(undefined), 15_000)),
    ]);
    if (!stopped) dev.child.kill('SIGKILL');
    for (const d of descendants) if (alive(d.pid)) process.kill(d.pid, 'SIGKILL');
  }
  for (const pid of ourPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function startDev(
  args: string[],
  env: Record<string, string>,
  options: { viaNpm?: boolean } = {},
): DevProcess {
  const dev = new DevProcess(args, cleanEnv(env), options);
  started.push(dev);
  return dev;
}

describe('npm run dev', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-dev-data-'));
  tempDirs.push(dataDir);

  it('npm run dev: the ready line first (URL, token, a wscat command that works); Ctrl-C stops everything', async () => {
    const port = await freePort();
    const stateFile = join(dataDir, 'dev-state.json');
    // At the default LOG_LEVEL (INFO): no handler's log line (the scheduled sweep's) before or after.
    // A maximum token lifetime of an hour: the ready line's token lives that long, not 24 h, and the
    // local authorizer accepts it (the ping below).
    const dev = startDev(
      ['--persist', dataDir],
      { PORT: String(port), LOG_LEVEL: 'INFO', DEV_STATE_FILE: stateFile, JWT_MAX_LIFETIME_SECONDS: '3600' },
      { viaNpm: true },
    );
    const info = await ready(dev);
    // npm's own banner (`> serverless-chat@… dev`, `> exec node …`), then the ready line.
    const own = dev.lines.filter((l) => !l.startsWith('> ') && l.trim() !== '');
    expect(own[0]).toMatch(/^Ready: /);

    expect(info.wsUrl).toBe(`ws://localhost:${port}`);
    expect(info.wscatUrl).toBe(`${info.wsUrl}/?token=${info.token}`);
    const { payload } = await jwtVerify(info.token, new TextEncoder().encode(DEV_JWT_SECRET), {
      algorithms: ['HS256'],
    });
    expect(payload.sub).toBe('demo');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    expect(dev.lines.join('\n')).toContain(`data kept in ${dataDir}`);
    expect(await listening(port)).toBe(true);
    // Both services listen on loopback only: nothing answers on this machine's network addresses.
    for (const address of networkAddresses()) {
      expect(await listening(port, address), address).toBe(false);
      expect(await listening(info.dynamoPort, address), address).toBe(false);
    }

    expect(await ping(info.wscatUrl)).toEqual({ type: 'pong', action: 'ping', requestId: 'dev-1' });
    // $connect wrote the demo user's profile.
    const db = dynamo(info.dynamoEndpoint);
    const profile = await db.send(
      new GetCommand({ TableName: DEFAULT_TABLE_NAME, Key: { pk: 'USER#demo', sk: 'PROFILE' } }),
    );
    db.destroy();
    expect(profile.Item).toMatchObject({ name: 'Demo User' });

    // The media line's endpoint and bucket are what README.md's `aws --endpoint-url <endpoint> s3 ls
    // s3://<bucket>` takes, signed as the stand-in's owner: the listing answers (an empty bucket).
    const media = dev.lines.find((l) => l.includes('Media (local S3):')) ?? '';
    const [, s3Endpoint = '', bucket = ''] = /endpoint (http:\/\/[\d.:]+), bucket ([\w-]+)/.exec(media) ?? [];
    const s3 = new S3Client({
      endpoint: s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: LOCAL_S3_OWNER,
    });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    s3.destroy();
    expect(listed.KeyCount ?? 0, media).toBe(0);

    // `npm run audit -- --local` and the other table scripts find this DynamoDB Local.
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({
      devs: [{ dynamoEndpoint: info.dynamoEndpoint }],
    });
    expect(tableTarget({ local: true }, cleanEnv({ DEV_STATE_FILE: stateFile }))).toEqual({
      tableName: DEFAULT_TABLE_NAME,
      endpoint: info.dynamoEndpoint,
    });

    // The start-up sweep of scheduled messages ran before the ready line; it logs at INFO on AWS,
    // locally only with LOG_LEVEL=DEBUG (the $connect above did log its INFO line).
    expect(dev.lines.some((l) => l.includes('"message":"connected"'))).toBe(true);
    expect(dev.lines.filter((l) => l.includes('"message":"scheduled sweep"'))).toEqual([]);

    await expectCleanStop(dev, info, 'SIGINT', { group: true });
    expect(existsSync(stateFile)).toBe(false);
  }, 180_000);

  it('keeps the data across restarts (DYNAMODB_DATA_DIR); a SIGTERM to npm alone stops everything', async () => {
    const dev = startDev(
      [],
      { PORT: '0', DYNAMODB_DATA_DIR: dataDir, DEV_STATE_FILE: join(dataDir, 'dev-state.json') },
      { viaNpm: true },
    );
    const info = await ready(dev);

    const db = dynamo(info.dynamoEndpoint);
    try {
      const table = await db.send(new DescribeTableCommand({ TableName: DEFAULT_TABLE_NAME }));
      expect(table.Table?.TableStatus).toBe('ACTIVE');
      const profile = await db.send(
        new GetCommand({
          TableName: DEFAULT_TABLE_NAME,
          Key: { pk: 'USER#demo', sk: 'PROFILE' },
          ConsistentRead: true,
        }),
      );
      expect(profile.Item).toMatchObject({ userId: 'demo', name: 'Demo User' });
    } finally {
      db.destroy();
    }
    expect(await ping(info.wscatUrl)).toMatchObject({ type: 'pong' });

    await expectCleanStop(dev, info, 'SIGTERM');
  }, 180_000);

  it('leaves no Java process behind when stopped during start-up', async () => {
    const dev = startDev([], { PORT: '0', SEED: '0' });
    let java: { pid: number; args: string } | undefined;
    await eventually(() => {
      java = dev.children().find((c) => c.args.includes('DynamoDBLocal.jar'));
      return java !== undefined || dev.child.exitCode !== null;
    }, START_TIMEOUT_MS);
    const javaPid = java?.pid;
    if (javaPid === undefined) throw new Error(`dev exited before starting Java: ${dev.stderr}`);
    ourPids.push(javaPid);
    expect(dev.lines.some((l) => l.startsWith('Ready:'))).toBe(false);
    dev.child.kill('SIGTERM');
    expect(await dev.exited).toEqual({ code: 0, signal: null });
    await eventually(() => !alive(javaPid), 10_000);
  }, 180_000);

  it('refuses HOST=0.0.0.0 with the public dev JWT secret: exit code 1, telling to set JWT_SECRET', async () => {
    const dev = startDev([], { HOST: '0.0.0.0', PORT: '0' });
    expect(await dev.exited).toEqual({ code: 1, signal: null });
    expect(dev.stderr).toMatch(/Refusing to listen on 0\.0\.0\.0 with the public development JWT secret/);
    expect(dev.stderr).toMatch(/Set JWT_SECRET to a secret of your own/);
    expect(dev.lines.join('\n')).not.toContain('Ready:');
  }, 60_000);

  it('fails at once, with exit code 1, telling how to install a JRE 17+, when java is missing', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'chat-no-java-'));
    tempDirs.push(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    expect(spawnSync('sh', ['-c', 'command -v java'], { env: { PATH: bin } }).status).not.toBe(0);

    const dev = startDev([], { PATH: bin, PORT: '0' });
    const exit = await dev.exited;
    expect(exit).toEqual({ code: 1, signal: null });
    expect(dev.stderr).toContain(JAVA_MISSING);
    expect(dev.stderr).toMatch(/Java runtime 17 or newer/);
    expect(dev.stderr).toContain('apt-get install -y openjdk-17-jre-headless');
    expect(dev.lines.join('\n')).not.toContain('Ready:');
  }, 60_000);
});

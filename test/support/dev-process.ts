/**
 * `npm run dev` as a child process for suites that restart it (test/e2e/dev.test.ts's start/stop
 * checks use the richer test/support/dev-run.ts): start it, wait for the ready line, stop it with a
 * signal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from '../../local/stack.ts';

/**
 * The environment of a fresh shell: nothing the test runner or other stacks may have set; but
 * DynamoDB Local's JVM options (test/global-setup.ts), which change its CPU, not what it does.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (
      /^(JWT_|DYNAMODB_(?!JAVA_OPTIONS$)|TABLE_NAME$|WS_MANAGEMENT_ENDPOINT$|SCHEDULED_|SQS_|PORT$|HOST$|VITEST|npm_)/.test(
        key,
      )
    ) {
      delete env[key];
    }
  }
  return { ...env, LOG_LEVEL: 'WARN', ...extra };
}

export interface DevReady {
  /** ws://localhost:<port> */
  readonly wsUrl: string;
  readonly dynamoEndpoint: string;
}

export class DevProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'local/dev.ts', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for the ready line and the DynamoDB line after it. */
  async ready(timeoutMs = 120_000): Promise<DevReady> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const wsUrl = /^Ready: (ws:\/\/\S+)/m.exec(this.stdout)?.[1];
      const dynamoEndpoint = /DynamoDB Local: (http:\/\/\S+)/.exec(this.stdout)?.[1];
      if (wsUrl && dynamoEndpoint) return { wsUrl, dynamoEndpoint };
      if (!this.running) throw new Error(`dev exited before it was ready:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`dev not ready within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Sends `signal` and resolves with how it exited (SIGKILL after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<{ code: number | null }> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

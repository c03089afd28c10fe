/**
 * `npm run dev` as a child process for test/e2e/dev.test.ts's start/stop checks: its output lines, its
 * processes (npm's too), and what its ready lines promise. Suites that only restart it use the
 * simpler test/support/dev-process.ts.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import { ROOT } from '../../local/stack.ts';

/** DynamoDB Local may take a while to start on a busy two-core machine. */
export const START_TIMEOUT_MS = 120_000;

export class DevProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #wake: (() => void) | undefined;

  /**
   * `viaNpm`: `npm run dev` in a process group of its own (as a terminal runs it: Ctrl-C is a SIGINT
   * to the group, `signalGroup`); else `node --import tsx local/dev.ts`.
   */
  constructor(args: string[], env: NodeJS.ProcessEnv, options: { viaNpm?: boolean } = {}) {
    this.child = options.viaNpm
      ? spawn('npm', ['run', 'dev', '--', ...args], {
          cwd: ROOT,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        })
      : spawn(process.execPath, ['--import', 'tsx', 'local/dev.ts', ...args], {
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

  /** Children, their children and so on. */
  descendants(): { pid: number; args: string }[] {
    const all: { pid: number; args: string }[] = [];
    for (let next = childrenOf(this.pid); next.length > 0; next = next.flatMap((c) => childrenOf(c.pid))) {
      all.push(...next);
    }
    return all;
  }

  /** Sends `signal` to the process group (the dev process must lead one: `viaNpm`), as a terminal does. */
  signalGroup(signal: NodeJS.Signals): void {
    process.kill(-this.pid, signal);
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

export function alive(pid: number): boolean {
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
export function dynamoProcessesOn(port: number): number[] {
  const out = spawnSync('pgrep', ['-f', `DynamoDBLocal.jar.*-port ${port}( |$)`], {
    encoding: 'utf8',
  }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

export interface Ready {
  readonly wsUrl: string;
  readonly port: number;
  readonly token: string;
  readonly wscatUrl: string;
  readonly dynamoEndpoint: string;
  readonly dynamoPort: number;
  readonly javaPid: number;
  /** Every descendant process (npm's child, esbuild, Java…). */
  readonly childPids: number[];
}

/** Waits for the ready line and reads what it and the next line promise (Java is the caller's to track). */
export async function ready(dev: DevProcess): Promise<Ready> {
  const index = await dev.waitForLine('Ready:');
  const line = dev.lines[index] as string;
  const wsUrl = /^Ready: (ws:\/\/\S+)/.exec(line)?.[1];
  const token = /token: ([\w-]+\.[\w-]+\.[\w-]+)/.exec(line)?.[1];
  const wscatUrl = /npx wscat -c "([^"]+)"/.exec(line)?.[1];
  const dynamoEndpoint = /DynamoDB Local: (http:\/\/\S+)/.exec(dev.lines[index + 1] ?? '')?.[1];
  if (!wsUrl || !token || !wscatUrl || !dynamoEndpoint) throw new Error(`unexpected ready output:\n${line}`);
  const dynamoPort = Number(new URL(dynamoEndpoint).port);
  const children = dev.descendants();
  const java = children.find(
    (c) => c.args.includes('DynamoDBLocal.jar') && c.args.includes(`-port ${dynamoPort}`),
  );
  if (!java) throw new Error(`no DynamoDB Local child: ${JSON.stringify(children)}`);
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
export function ping(url: string): Promise<Record<string, unknown>> {
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

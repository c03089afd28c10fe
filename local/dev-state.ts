/**
 * What a running `npm run dev` tells the operator scripts' `--local` (scripts/table-target.ts): its
 * DynamoDB endpoint (DynamoDB Local listens on a free port, different every start) and table. Dev
 * writes `.dev/local.json` (git-ignored) once it is ready and removes it when it stops;
 * `DEV_STATE_FILE` names another file (the tests use one of their own).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Environment variable naming the state file instead of `.dev/local.json`. */
export const DEV_STATE_FILE_ENV = 'DEV_STATE_FILE';

/** Where a running `npm run dev` leaves its state. */
export function devStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env[DEV_STATE_FILE_ENV] ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '.dev', 'local.json')
  );
}

export interface DevState {
  /** The dev process (the file is stale once it is gone). */
  readonly pid: number;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
}

export function writeDevState(state: DevState, path = devStatePath()): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(state)}\n`);
}

/** Removes the file if it is still `pid`'s (another dev may have started since). */
export function clearDevState(pid: number, path = devStatePath()): void {
  if (readFile(path)?.pid === pid) rmSync(path, { force: true });
}

/** The state of a dev process that still runs, or undefined (no file, a bad one, or a stale one). */
export function readDevState(path = devStatePath()): DevState | undefined {
  const state = readFile(path);
  return state && running(state.pid) ? state : undefined;
}

function readFile(path: string): DevState | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const { pid, dynamoEndpoint, tableName } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof pid !== 'number' || typeof dynamoEndpoint !== 'string' || typeof tableName !== 'string') {
    return undefined;
  }
  return { pid, dynamoEndpoint, tableName };
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

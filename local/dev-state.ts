/**
 * What a running `npm run dev` tells the operator scripts' `--local` (scripts/table-target.ts): its
 * DynamoDB endpoint (DynamoDB Local listens on a free port, different every start) and table. Dev
 * writes `.dev/local.json` (git-ignored) once it is ready and removes its entry when it stops;
 * `DEV_STATE_FILE` names another file (the tests use one of their own). Two devs without `--persist`
 * may run at once (each with its own DynamoDB Local): the file lists every live one, and `--local`
 * takes the one started last (with a notice naming the others), so stopping one never loses the
 * other's entry.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  save(path, [...liveStates(path).filter((other) => other.pid !== state.pid), state]);
}

/** Removes `pid`'s entry, leaving any other dev's (another dev may have started since). */
export function clearDevState(pid: number, path = devStatePath()): void {
  const rest = readFile(path).filter((state) => state.pid !== pid);
  if (rest.length === 0) rmSync(path, { force: true });
  else save(path, rest);
}

/** The live dev started last, or undefined (no file, a bad one, or only stale entries). */
export function readDevState(path = devStatePath()): DevState | undefined {
  return liveStates(path).at(-1);
}

/** Every dev in the file that still runs, oldest first. */
export function liveStates(path = devStatePath()): DevState[] {
  return readFile(path).filter((state) => running(state.pid));
}

function save(path: string, states: readonly DevState[]): void {
  mkdirSync(dirname(path), { recursive: true });
  // Written beside and renamed: a script reading it never sees half a file.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ devs: states })}\n`);
  renameSync(temp, path);
}

function readFile(path: string): DevState[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
  // `{ devs: [...] }`; a file from before holds one state.
  const devs = (parsed as { devs?: unknown } | null)?.devs;
  const entries: unknown[] = Array.isArray(devs) ? devs : [parsed];
  return entries.flatMap((entry) => {
    const { pid, dynamoEndpoint, tableName } = (entry ?? {}) as Record<string, unknown>;
    return typeof pid === 'number' && typeof dynamoEndpoint === 'string' && typeof tableName === 'string'
      ? [{ pid, dynamoEndpoint, tableName }]
      : [];
  });
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

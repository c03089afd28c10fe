/**
 * One `npm run dev` per `--persist` folder: DynamoDB Local keeps one database file there, and a second
 * one on the same folder fails its writes. A lock file holding the pid claims the folder; one left by
 * a process that is gone (killed with SIGKILL, a crash) is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = '.dev.lock';

/** The pid in the lock file, if a live process holds it. */
function holder(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: it lives, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * Claims `dir` for this process until it exits; returns the pid of the live process holding it
 * instead, if any.
 */
export function lockDataDir(dir: string, pid = process.pid): { readonly heldBy: number } | undefined {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      process.once('exit', () => {
        if (holder(file) === pid) rmSync(file, { force: true });
      });
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const heldBy = holder(file);
      if (heldBy !== undefined && heldBy !== pid) return { heldBy };
      rmSync(file, { force: true }); // stale (or our own): take it over
    }
  }
  throw new Error(`could not lock ${dir}: ${file} keeps reappearing`);
}

/** The refusal dev prints when another dev holds the folder. */
export function lockRefusal(dir: string, heldBy: number): string {
  return (
    `The data folder ${dir} is in use by another \`npm run dev\` (pid ${heldBy}). Stop that one, or ` +
    "keep this one's data elsewhere: `npm run dev -- --persist other-folder` (or DYNAMODB_DATA_DIR)."
  );
}

/**
 * One `npm run dev` per `--persist` folder (local/dev-lock.ts): a live holder's lock refuses the
 * next one, naming its pid; a lock left by a process that is gone is taken over.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir, lockRefusal } from '../../local/dev-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'chat-dev-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

describe('the --persist folder lock', () => {
  it('is taken by the first dev, and refuses the next one while that one lives, naming it', () => {
    const folder = join(dir, 'shared');
    expect(lockDataDir(folder)).toBeUndefined();
    expect(readFileSync(join(folder, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    // Another dev (any other pid) asks for it: this live process holds it.
    expect(lockDataDir(folder, process.pid + 1)).toEqual({ heldBy: process.pid });
    expect(lockRefusal(folder, process.pid)).toMatch(
      new RegExp(`${folder} is in use by another \`npm run dev\` \\(pid ${process.pid}\\).*--persist`),
    );
  });

  it('takes over a lock left by a process that is gone', () => {
    const folder = join(dir, 'stale');
    mkdirSync(folder);
    writeFileSync(join(folder, LOCK_FILE), `${deadPid()}\n`);
    expect(lockDataDir(folder)).toBeUndefined();
    expect(readFileSync(join(folder, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
  });
});

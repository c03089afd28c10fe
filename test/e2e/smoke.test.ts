/**
 * `npm run smoke` (scripts/smoke.ts) against the local stack: the command a deployer runs against AWS
 * passes here, step by step, and fails (exit 1, the failing step named) when the stack misbehaves.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../local/stack.ts';
import { runSmoke } from '../../scripts/smoke.ts';
import { closeAll, connectUser, makeDirect } from '../support/chat.ts';
import { startTestStack, type TestStack, uniqueId } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

function smokeCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'scripts/smoke.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const STEPS = [
  'connect user A',
  'connect user B',
  'ping',
  'createChat (direct) → chat.created to B',
  'sendMessage → message.created to B',
  'readMessage (B) → message.read to A',
  'history (B) holds the message',
  'getPresence (A asks about B) → online',
  'disconnect B → presence offline to A',
  'deleteChat (clean up)',
  'disconnect A',
];

describe('npm run smoke', { timeout: 120_000 }, () => {
  it('passes against npm run dev’s stack, reporting every step with its time', async () => {
    const tokens = [await stack.token(uniqueId('smoke-a')), await stack.token(uniqueId('smoke-b'))];
    const out = await smokeCli([
      '--url',
      stack.url,
      '--token',
      tokens[0] as string,
      '--token',
      tokens[1] as string,
    ]);
    expect(out.stderr).not.toMatch(/Error/);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toBe(`smoke test against ${stack.url}`);
    const stepLines = lines.slice(1, -1);
    expect(stepLines.map((l) => l.replace(/^ok\s+\d+ ms\s+/, '').replace(/: .*$/, ''))).toEqual(STEPS);
    expect(lines.at(-1)).toMatch(/^passed in \d+ ms$/);
  });

  it('reuses the pair’s existing direct chat and leaves it in place; reports the result as data', async () => {
    const a = uniqueId('smoke-a');
    const b = await connectUser(stack, uniqueId('smoke-b'));
    const existing = await makeDirect(b, a);
    await closeAll(stack, b);
    const report = await runSmoke({
      url: stack.url,
      tokens: [await stack.token(a), await stack.token(b.userId)],
    });
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => s.name)).toEqual(STEPS.filter((s) => !s.startsWith('deleteChat')));
    expect(report.steps[3]?.detail).toBe(`${existing.chatId} (the pair already had it)`);
    for (const s of report.steps) expect(s.ms).toBeGreaterThanOrEqual(0);
    expect((await stack.items(`CHAT#${existing.chatId}`)).length).toBeGreaterThan(0);
  });

  it('fails with exit code 1 and names the step when the stack refuses a token', async () => {
    const good = await stack.token(uniqueId('smoke-a'));
    const forged = await stack.token(uniqueId('smoke-b'), {
      secret: 'another-secret-that-is-32-bytes-long!!',
    });
    const out = await smokeCli(['--url', stack.url, '--token', good, '--token', forged, '--timeout', '3000']);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/FAIL\s+\d+ ms\s+connect user B: handshake refused with HTTP 401/);
    expect(out.stdout).toMatch(/FAILED in \d+ ms/);
  });

  it('refuses two tokens of one user, and a missing argument', async () => {
    const token = await stack.token(uniqueId('smoke'));
    const same = await runSmoke({ url: stack.url, tokens: [token, token] });
    expect(same.ok).toBe(false);
    expect(same.steps.at(-1)?.detail).toMatch(/same user/);
    const usage = await smokeCli(['--url', stack.url, '--token', token]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/usage: npm run smoke/);
  });
});

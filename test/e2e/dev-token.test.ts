/**
 * `npm run token` as a real child process: only a JWT on stdout (with or without npm's banner), signed
 * with the dev secret; refusals with exit code 2; `--help`; the warning past the authorizer's longest
 * lifetime.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lambdas/auth/verifier.ts';
import { ROOT } from '../../local/stack.ts';
import { cleanEnv } from '../support/dev-process.ts';

/** local/token.ts run directly (as `npm run -s token -- …` runs it). */
const tokenScript = (argv: readonly string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'local/token.ts', ...argv], {
    cwd: ROOT,
    env: cleanEnv(env),
    encoding: 'utf8',
  });

describe('npm run token', () => {
  async function verifyDevToken(token: string) {
    return (await jwtVerify(token, new TextEncoder().encode(DEV_JWT_SECRET), { algorithms: ['HS256'] }))
      .payload;
  }
  const args = ['token', '--', 'alice', '--name', 'Alice', '--ttl', '60'];
  const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

  it('prints only a JWT on stdout (npm run -s), signed with the dev secret, with sub, name and exp', async () => {
    const before = Math.floor(Date.now() / 1000);
    const out = execFileSync('npm', ['run', '-s', ...args], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
    const token = out.trimEnd();
    expect(out).toBe(`${token}\n`);
    expect(token).toMatch(JWT);
    const payload = await verifyDevToken(token);
    expect(payload).toMatchObject({ sub: 'alice', name: 'Alice' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
    expect(payload.iat).toBeGreaterThanOrEqual(before - 5);
    expect(payload.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5);
  }, 60_000);

  it('ends with the JWT after npm’s own banner (npm run without -s)', async () => {
    const out = execFileSync('npm', ['run', ...args], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
    const lines = out.split('\n').filter(Boolean);
    const token = lines.at(-1) ?? '';
    expect(token).toMatch(JWT);
    for (const line of lines.slice(0, -1)) expect(line.startsWith('>')).toBe(true);
    expect((await verifyDevToken(token)).sub).toBe('alice');
  }, 60_000);

  it('refuses a missing user id and a bad --ttl with exit code 2 and nothing on stdout', () => {
    for (const bad of [[], ['alice', '--ttl', 'soon'], ['alice', '--ttl', '0']]) {
      const res = tokenScript(bad);
      expect(res.status, bad.join(' ')).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr.length).toBeGreaterThan(0);
    }
  }, 60_000);

  it('answers --help with its usage (exit 0), and an unknown option with the usage (exit 2), not a stack trace', () => {
    const run = (...argv: string[]) => tokenScript(argv);
    for (const help of [['--help'], ['-h'], ['alice', '--help']]) {
      const res = run(...help);
      expect(res.status, help.join(' ')).toBe(0);
      expect(res.stdout).toMatch(
        /^usage: npm run token -- <userId> \[--name "Display Name"\] \[--ttl seconds\]/,
      );
      expect(res.stderr).toBe('');
    }
    const unknown = run('alice', '--nmae', 'Alice');
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^Unknown option '--nmae'.*\nusage: npm run token -- <userId>/s);
    expect(unknown.stderr).not.toContain('ERR_PARSE_ARGS');
  }, 60_000);

  it('warns on stderr when --ttl exceeds the longest lifetime the authorizer accepts, and still prints it', () => {
    const run = (ttl: string, env: Record<string, string> = {}) => tokenScript(['alice', '--ttl', ttl], env);
    const over = run('90000');
    expect(over.status).toBe(0);
    expect(over.stdout.trimEnd()).toMatch(JWT);
    expect(over.stderr).toMatch(
      /warning: --ttl 90000 is more than the 86400 s the authorizer accepts \(JWT_MAX_LIFETIME_SECONDS.*401/s,
    );
    expect(run('86400').stderr).toBe('');
    // The maximum is the stack's setting: the same variable the local authorizer reads.
    expect(run('90000', { JWT_MAX_LIFETIME_SECONDS: '100000' }).stderr).toBe('');
    expect(run('7200', { JWT_MAX_LIFETIME_SECONDS: '3600' }).stderr).toMatch(/--ttl 7200 .* 3600 s/);
  }, 60_000);
});

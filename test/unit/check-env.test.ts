/**
 * The environment check (scripts/env-check.ts) on small fixtures: a function that used a variable its
 * definition does not set fails, one its definition sets passes, Lambda's own variables pass, an
 * optional setting's variable is checked only where the setting is on, and only reasoned allow-list
 * entries keep a gap. And the recorder (lambdas/shared/env-use.ts) records uses, not first reads: a
 * value served from the once-per-container configuration is recorded for every function that uses it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { config, resetConfig } from '../../lambdas/shared/config.ts';
import {
  ENV_USE_FOLDER,
  type EnvUse,
  extended,
  readingEnv,
  setEnvUseLog,
  usedThrough,
} from '../../lambdas/shared/env-use.ts';
import { logger } from '../../lambdas/shared/logger.ts';
import { FEATURE_OF, RUNTIME_ENV } from '../../scripts/env-allow-list.ts';
import { checkEnv, type EnvCheckRules, type VariantEnv } from '../../scripts/env-check.ts';

const variant = (name: string, fns: Record<string, string[]>, features: string[] = []): VariantEnv => ({
  name,
  functions: new Map(Object.entries(fns).map(([fn, vars]) => [fn, new Set(vars)])),
  features: new Set(features),
});
const RULES: EnvCheckRules = { runtime: RUNTIME_ENV, featureOf: FEATURE_OF, allowList: [] };
const use = (fn: string | null, name: string): EnvUse => ({ fn, name });

describe('checkEnv', () => {
  const plain = variant('plain', {
    RetentionWorker: ['TABLE_NAME', 'RETENTION_QUEUE_URL'],
    sendMessage: ['TABLE_NAME', 'FANOUT_QUEUE_URL'],
  });

  it('fails a function that used a variable its definition does not set (the unset queue URL)', () => {
    const report = checkEnv([use('RetentionWorker', 'FANOUT_QUEUE_URL')], [plain], RULES);
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual([expect.stringMatching(/^RetentionWorker uses FANOUT_QUEUE_URL.*plain/)]);
  });

  it('passes variables the definition sets, and Lambda’s own', () => {
    const uses = [
      use('sendMessage', 'FANOUT_QUEUE_URL'),
      use('sendMessage', 'TABLE_NAME'),
      use('RetentionWorker', 'AWS_REGION'),
      use('sendMessage', 'LAMBDA_TASK_ROOT'),
    ];
    const report = checkEnv(uses, [plain], RULES);
    expect(report).toMatchObject({ ok: true, missing: [], checked: 4 });
  });

  it('needs the variable in every variant that deploys the function', () => {
    const other = variant('other', { sendMessage: ['TABLE_NAME'] });
    const report = checkEnv([use('sendMessage', 'FANOUT_QUEUE_URL')], [plain, other], RULES);
    expect(report.missing).toEqual([expect.stringMatching(/variants: other\)/)]);
  });

  it('checks an optional setting’s variable only where the setting is on, and fails when none turns it on', () => {
    const on = variant('hooked', { sendMessage: ['TABLE_NAME', 'PRE_SEND_HOOK'] }, ['preSendHook']);
    const uses = [use('sendMessage', 'PRE_SEND_HOOK')];
    expect(checkEnv(uses, [plain, on], RULES).ok).toBe(true);
    expect(checkEnv(uses, [plain], RULES).missing).toEqual([
      expect.stringMatching(/no variant that deploys it turns preSendHook on/),
    ]);
    const dropped = variant('hooked', { sendMessage: ['TABLE_NAME'] }, ['preSendHook']);
    expect(checkEnv(uses, [plain, dropped], RULES).ok).toBe(false);
  });

  it('fails a use by a function no variant deploys, and skips uses outside any invocation', () => {
    const report = checkEnv([use('nosuch', 'TABLE_NAME'), use(null, 'FANOUT_QUEUE_URL')], [plain], RULES);
    expect(report.missing).toEqual([
      expect.stringMatching(/no synthesized variant deploys a function named nosuch/),
    ]);
    expect(report.unattributed).toBe(1);
  });

  it('keeps a gap only for a reasoned allow-list entry, and reports an entry no use needs as stale', () => {
    const local = { fn: '*', name: 'DYNAMODB_ENDPOINT', reason: 'DynamoDB Local' };
    const unused = { fn: 'sendMessage', name: 'S3_ENDPOINT', reason: 'the S3 stand-in' };
    const report = checkEnv([use('sendMessage', 'DYNAMODB_ENDPOINT')], [plain], {
      ...RULES,
      allowList: [local, unused],
    });
    expect(report.missing).toEqual([]);
    expect(report.allowListed).toEqual(['sendMessage: DYNAMODB_ENDPOINT — DynamoDB Local']);
    expect(report.stale).toEqual([unused]);
    expect(report.ok).toBe(false);
  });
});

describe('the environment use recorder', () => {
  let dir: string;
  let before: string | undefined;
  const saved = { ...process.env };
  const recorded = (): EnvUse[] =>
    readdirSync(join(dir, ENV_USE_FOLDER)).flatMap((f) =>
      readFileSync(join(dir, ENV_USE_FOLDER, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as EnvUse),
    );
  const inFunction = <T>(fn: string, run: () => T): T => logger.runWithKeys({}, run, fn);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'env-use-'));
    before = setEnvUseLog(dir);
    process.env.FANOUT_QUEUE_URL = 'http://queue.local/fanout';
    process.env.RETENTION_QUEUE_URL = 'http://queue.local/retention';
    delete process.env.PRESENCE_CONCURRENCY;
    resetConfig();
  });
  afterEach(() => {
    setEnvUseLog(before);
    for (const name of ['FANOUT_QUEUE_URL', 'RETENTION_QUEUE_URL', 'PRESENCE_CONCURRENCY']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    resetConfig();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a cached configuration value for every function that uses it, not only the first reader', () => {
    inFunction('envTestFirst', () => config().fanOutQueueUrl);
    inFunction('envTestSecond', () => config().fanOutQueueUrl); // served from the cache
    inFunction('envTestThird', () => config().tableName); // uses another field only
    const uses = recorded();
    expect(uses).toContainEqual({ fn: 'envTestFirst', name: 'FANOUT_QUEUE_URL' });
    expect(uses).toContainEqual({ fn: 'envTestSecond', name: 'FANOUT_QUEUE_URL' });
    expect(uses).not.toContainEqual({ fn: 'envTestThird', name: 'FANOUT_QUEUE_URL' });
  });

  it('records nested fields and direct reads, only of variables that are set', () => {
    inFunction('envTestNested', () => {
      const { queueUrl } = config().retention;
      readingEnv().PRESENCE_CONCURRENCY; // unset: no use of a value
      return queueUrl;
    });
    expect(recorded()).toEqual([{ fn: 'envTestNested', name: 'RETENTION_QUEUE_URL' }]);
  });

  it('does not count the fields an extension replaces', () => {
    const base = usedThrough({ a: 1, b: 2 }, { a: ['FANOUT_QUEUE_URL'], b: ['RETENTION_QUEUE_URL'] });
    inFunction('envTestExtended', () => extended(base, { a: 3 }).a + extended(base, { a: 3 }).b);
    expect(recorded()).toEqual([{ fn: 'envTestExtended', name: 'RETENTION_QUEUE_URL' }]);
  });

  it("a spread of an extension keeps the base's fields (a test's `{ ...scheduledDeps(), fanOut }`)", () => {
    const base = usedThrough({ a: 1, b: 2 }, { a: ['FANOUT_QUEUE_URL'], b: ['RETENTION_QUEUE_URL'] });
    const copy = { ...extended(base, { a: 3 }), c: 4 };
    expect(copy).toEqual({ a: 3, b: 2, c: 4 });
  });

  it('is off unless the call log folder is set: values are returned as they are', () => {
    setEnvUseLog(undefined);
    const value = { a: 1 };
    expect(usedThrough(value, { a: ['FANOUT_QUEUE_URL'] })).toBe(value);
    expect(readingEnv()).toBe(process.env);
    expect(config()).toBe(config());
  });
});

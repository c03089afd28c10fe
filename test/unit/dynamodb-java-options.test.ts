/**
 * DynamoDB Local's JVM options (`DYNAMODB_JAVA_OPTIONS`, local/dynamodb.ts): the tests run every
 * DynamoDB Local with the quick ones (test/global-setup.ts sets them for the run, its workers and the
 * `npm run dev` children the e2e tests start), which cut its CPU in a test run by about a third; the
 * same DynamoDB Local, only compiled less eagerly and collected by one thread. A developer's own
 * `DYNAMODB_JAVA_OPTIONS` (say `-Xmx512m`) replaces them: the checks below ask the global setup
 * which options it chose (`inject`), so `npm test` passes with the variable set too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { JAVA_OPTIONS_ENV, javaOptions, QUICK_JAVA_OPTIONS } from '../../local/dynamodb.ts';
import { runJavaOptions } from '../global-setup.ts';
import { cleanEnv } from '../support/dev-process.ts';

/** The command line of the process listening as DynamoDB Local on `port` (Linux: /proc). */
function commandLineOnPort(port: string): string[] | undefined {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    const at = args.indexOf('-port');
    if (args[0]?.endsWith('java') && at > 0 && args[at + 1] === port) return args;
  }
  return undefined;
}

describe('DynamoDB Local’s JVM options', () => {
  it('are read from DYNAMODB_JAVA_OPTIONS, split on spaces, and none without it', () => {
    expect(JAVA_OPTIONS_ENV).toBe('DYNAMODB_JAVA_OPTIONS');
    expect(javaOptions({ DYNAMODB_JAVA_OPTIONS: ' -XX:+UseSerialGC  -Xmx256m ' })).toEqual([
      '-XX:+UseSerialGC',
      '-Xmx256m',
    ]);
    expect(javaOptions({ DYNAMODB_JAVA_OPTIONS: '' })).toEqual([]);
    expect(javaOptions({})).toEqual([]);
  });

  it('are the quick ones in a test run, unless the developer set DYNAMODB_JAVA_OPTIONS (even empty)', () => {
    expect(QUICK_JAVA_OPTIONS).toBe('-XX:+UseSerialGC -XX:TieredStopAtLevel=1');
    expect(runJavaOptions({})).toBe(QUICK_JAVA_OPTIONS);
    expect(runJavaOptions({ DYNAMODB_JAVA_OPTIONS: '-Xmx512m' })).toBe('-Xmx512m');
    expect(runJavaOptions({ DYNAMODB_JAVA_OPTIONS: '' })).toBe('');
  });

  it('are the ones this run chose, and reach the dev processes the e2e tests start', () => {
    const chosen = inject('dynamoJavaOptions');
    expect(chosen).toBeTypeOf('string');
    expect(process.env[JAVA_OPTIONS_ENV]).toBe(chosen);
    const env = cleanEnv();
    expect(env[JAVA_OPTIONS_ENV]).toBe(chosen);
  });

  it.skipIf(process.platform !== 'linux')('are on the command line of the run’s DynamoDB Local', () => {
    const port = new URL(inject('dynamoEndpoint')).port;
    const args = commandLineOnPort(port);
    expect(args, `no java process with -port ${port}`).toBeDefined();
    const main = (args ?? []).findIndex((a) => a === 'LoopbackDynamoDBLocal' || a === '-jar');
    expect(main).toBeGreaterThan(0);
    // JVM options go before the main class: after it they would be DynamoDB Local's arguments.
    const before = (args ?? []).slice(0, main);
    const chosen = javaOptions({ [JAVA_OPTIONS_ENV]: inject('dynamoJavaOptions') });
    expect(before).toEqual(expect.arrayContaining(chosen));
  });
});

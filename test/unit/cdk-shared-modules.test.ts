/**
 * The CDK tests share their worker's modules (vitest.config.ts: the `cdk` project, `isolate: false`):
 * one file's changes to the process would reach the next file in that worker. So no test/cdk file,
 * nor any module of this repository it imports, may set an environment variable or mock, spy on or
 * stub anything, or fake the timers. A CDK test that must belongs in another folder.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../local/stack.ts';
import { closure, reader } from '../support/shared-workers.ts';

/** What would leak from one test file to the next in a shared worker, each with what it is. */
const LEAKS: { pattern: RegExp; what: string }[] = [
  { pattern: /process\.env(\.\w+|\[[^\]]+\])\s*(=(?!=)|\?\?=|\|\|=)/, what: 'sets an environment variable' },
  { pattern: /process\.env\s*=(?!=)|Object\.assign\(\s*process\.env\b/, what: 'sets the environment' },
  { pattern: /delete\s+process\.env\b/, what: 'deletes an environment variable' },
  {
    pattern: /\bvi\.(mock|doMock|stubEnv|stubGlobal|spyOn|useFakeTimers)\(/,
    what: 'mocks, stubs, spies or fakes timers',
  },
  { pattern: /(?<!function )\bsetFunctionLogLevel\(/, what: 'changes a log level' },
];

function leaksOf(sources: Map<string, string>): string[] {
  return [...sources].flatMap(([file, source]) =>
    LEAKS.filter((l) => l.pattern.test(source)).map((l) => `${relative(ROOT, file)} ${l.what}`),
  );
}

// Every file the `cdk` project takes (test/cdk/**, subfolders too: vitest.config.ts).
const cdkTests = readdirSync(join(ROOT, 'test/cdk'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join(ROOT, 'test/cdk', f));

describe('the CDK tests, which share their worker’s modules', () => {
  it('neither set the environment nor mock, in themselves or in what they import', () => {
    const sources = closure(cdkTests, reader(ROOT, { computed: false }));
    // The walk reached the stack and its helpers (it follows the imports at all).
    expect(sources.has(join(ROOT, 'lib/chat-stack.ts'))).toBe(true);
    expect(sources.has(join(ROOT, 'test/cdk/support.ts'))).toBe(true);
    expect(leaksOf(sources)).toEqual([]);
  });

  it('would be told apart from a file that does (a control)', () => {
    const file = join(ROOT, 'test/cdk/example.test.ts');
    const leaky = new Map([
      [
        file,
        "process.env.TABLE_NAME = 'x';\nvi.mock('../../lib/chat-stack.ts');\nsetFunctionLogLevel('a', 'WARN');",
      ],
    ]);
    expect(leaksOf(leaky)).toEqual([
      'test/cdk/example.test.ts sets an environment variable',
      'test/cdk/example.test.ts mocks, stubs, spies or fakes timers',
      'test/cdk/example.test.ts changes a log level',
    ]);
    expect(leaksOf(new Map([[file, "const table = process.env.TABLE_NAME === 'x';"]]))).toEqual([]);
  });
});

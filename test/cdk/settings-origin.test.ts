/**
 * A setting given only on the command line (`-c key=value`) is not remembered: the next deploy without
 * it puts it back (docs/deploy.md, "Settings"). The synth of bin/app.ts warns, naming each setting
 * whose value is not cdk.json's; the settings it knows are the ones the stack reads and the ones
 * deploy.md's table lists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';
import { ChatStack } from '../../lib/chat-stack.ts';
import { settingsFromLookup } from '../../lib/context.ts';
import { SETTING_KEYS, warnSettingsNotInCdkJson } from '../../lib/context-origin.ts';
import { testApp } from './support.ts';

/** The warnings a stack gets for settings not in `file` (cdk.json's context) when the app has `given`. */
function warnings(given: Record<string, unknown>, file: Record<string, unknown>): string[] {
  const app = testApp(given);
  const stack = new ChatStack(app, 'Origin', { destroyable: true });
  warnSettingsNotInCdkJson(stack, (key) => app.node.tryGetContext(key), file);
  return Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('not remembered'))
    .map((w) => String(w.entry.data));
}

describe('settings given on the command line only', { timeout: 180_000 }, () => {
  it('warn at synth, naming each setting not as cdk.json has it', () => {
    const found = warnings(
      { fanOutConcurrency: '32', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:b' },
      { alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:a' },
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^alarmTopicArn, fanOutConcurrency .*not remembered.*cdk\.json/);
  });

  it('do not when cdk.json holds the same values (a -c string equal to a JSON number included)', () => {
    expect(warnings({}, {})).toEqual([]);
    expect(
      warnings(
        { fanOutConcurrency: '32', reservedConcurrency: { '*': 5 } },
        { fanOutConcurrency: 32, reservedConcurrency: { '*': 5 } },
      ),
    ).toEqual([]);
  });

  it('SETTING_KEYS are every key the stack settings read, and deploy.md lists exactly them', () => {
    const read = new Set<string>();
    settingsFromLookup((key) => {
      read.add(key);
      return undefined;
    });
    expect([...read].sort()).toEqual([...SETTING_KEYS].sort());
    const doc = readFileSync(join(PROJECT_ROOT, 'docs/deploy.md'), 'utf8');
    const section = doc.slice(
      doc.indexOf('### Settings (cdk.json)'),
      doc.indexOf('**Reserved concurrency**'),
    );
    const listed = section
      .split('\n')
      .filter((row) => row.startsWith('| `'))
      .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`(\w+)`/g)].map((m) => m[1] ?? ''));
    expect(listed.sort()).toEqual([...SETTING_KEYS].sort());
  });
});

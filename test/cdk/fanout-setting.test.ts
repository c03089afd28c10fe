/**
 * The fan-out's posts in flight as a deploy-time setting (`fanOutConcurrency`, context or prop):
 * every function that posts events (the routes that do, and the scheduled dispatcher)
 * gets `FANOUT_CONCURRENCY`, nothing else does, the fan-out worker keeps its own, and the default
 * sets no variable at all (the functions' default, 64, applies).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FANOUT_CONCURRENCY_ENV } from '../../lambdas/shared/config.ts';
import type { ChatFunction } from '../../lib/chat-function.ts';
import { ChatStack } from '../../lib/chat-stack.ts';
import { settingsFromContext } from '../../lib/context.ts';
import { ROUTES } from '../../lib/routes.ts';
import { envOf, synth, testApp } from './support.ts';

type Synthesized = { stack: ChatStack; template: Template };

/** FANOUT_CONCURRENCY of every function of the stack, by name (undefined: not set). */
function settingsOf(s: Synthesized): Map<string, string | undefined> {
  const fns: [string, ChatFunction][] = [
    ...[...s.stack.chatApi.functions].map(([key, fn]) => [key, fn] as [string, ChatFunction]),
    ['authorizer', s.stack.chatApi.authorizerFunction],
    ['dispatcher', s.stack.scheduled.dispatcher],
    ['sweeper', s.stack.scheduled.sweeper],
    ['fanOutWorker', s.stack.fanOutWorker.worker],
    ['retentionWorker', s.stack.retentionWorker.worker],
  ];
  return new Map(fns.map(([name, fn]) => [name, envOf(s, fn)[FANOUT_CONCURRENCY_ENV]]));
}

const posting = new Set([...ROUTES.filter((r) => r.postsEvents).map((r) => r.routeKey), 'dispatcher']);

describe('fanOutConcurrency', { timeout: 180_000 }, () => {
  it('sets no variable by default: the functions take their own default (64)', () => {
    const s = synth();
    for (const [name, value] of settingsOf(s)) expect(value, name).toBeUndefined();
  });

  it('gives every function that posts the setting, and no other function', () => {
    const s = synth({ fanOutConcurrency: 24 });
    expect(posting.has('sendMessage')).toBe(true);
    for (const [name, value] of settingsOf(s)) expect(value, name).toBe(posting.has(name) ? '24' : undefined);
  });

  it('is read from the context, and refuses what is not a whole number of posts from 1 to 1000', () => {
    const fromContext = (value: unknown) => {
      const app = testApp({ fanOutConcurrency: value });
      return settingsFromContext(app.node).props.fanOutConcurrency;
    };
    expect(fromContext('32')).toBe(32);
    expect(fromContext(undefined)).toBeUndefined();
    for (const bad of ['0', '-4', '2.5', 'many', '1001', true])
      expect(() => fromContext(bad), String(bad)).toThrow(/fanOutConcurrency/);
    expect(() => synth({ fanOutConcurrency: 1001 })).toThrow(/fanOutConcurrency must be a whole number/);
    const app = testApp({ fanOutConcurrency: '32' });
    const stack = new ChatStack(app, 'FanOutContext', settingsFromContext(app.node).props);
    const s = { stack, template: Template.fromStack(stack) };
    expect(settingsOf(s).get('sendMessage')).toBe('32');
  });
});

/**
 * A route whose store fails answers `INTERNAL` and ends its invocation normally (the error frame is
 * its reply), so Lambda's `Errors`, and the `<Route>Errors` alarms that read it, never see the fault.
 * What does is the `InternalErrors` business metric (lib/monitoring.ts alarms on it): counted once per
 * frame answered `INTERNAL`, and never for a caller's mistake or a throttle (`RATE_LIMITED`). The
 * failure is injected into the handlers' DynamoDB client (they run in this process), on the commands
 * that name one chat; DynamoDB Local does the rest.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { connectUsers, makeDirect, type UserSocket } from '../support/chat.ts';
import { useInterceptedStack } from '../support/handler-client.ts';

/** Commands that name this chat fail (once each: the interceptor runs before the SDK's retries). */
let failing: { chatId: string; error: () => Error } | undefined;
const stack = useInterceptedStack((_command, input) => {
  if (failing && input.includes(failing.chatId)) throw failing.error();
});

const emitted: MetricValues[] = [];
const stop = onMetrics((values) => emitted.push(values));
const internalErrors = () => emitted.reduce((n, v) => n + (v.InternalErrors ?? 0), 0);

let alice: UserSocket;
let bob: UserSocket;
let chatId: string;

beforeAll(async () => {
  [alice, bob] = (await connectUsers(stack, 2, 'internal')) as [UserSocket, UserSocket];
  chatId = (await makeDirect(alice, bob.userId)).chatId;
});
afterEach(() => {
  failing = undefined;
});
afterAll(async () => {
  stop();
  await Promise.all([alice, bob].map((s) => s?.close()));
});

describe('a route whose store fails', () => {
  it('answers INTERNAL and counts InternalErrors once, the socket still usable', async () => {
    const before = internalErrors();
    failing = {
      chatId,
      error: () => Object.assign(new Error('injected: service unavailable'), { name: 'InternalServerError' }),
    };
    const reply = await alice.request('getChat', { chatId });
    failing = undefined;
    expect(reply).toMatchObject({ type: 'error', action: 'getChat', code: 'INTERNAL' });
    expect(internalErrors() - before).toBe(1);
    // The next frame is answered as usual and counts nothing.
    expect(await alice.ok('getChat', { chatId })).toMatchObject({ type: 'ack', action: 'getChat' });
    expect(internalErrors() - before).toBe(1);
  });

  it('counts nothing for a refusal (a caller’s mistake) or a throttle (RATE_LIMITED)', async () => {
    const before = internalErrors();
    const refused = await alice.request('getChat', { chatId: 'c_nosuchchat' });
    expect(refused).toMatchObject({ type: 'error', action: 'getChat' });
    expect(refused.code).not.toBe('INTERNAL');
    failing = {
      chatId,
      error: () => Object.assign(new Error('injected: throttled'), { name: 'ThrottlingException' }),
    };
    expect(await alice.request('getChat', { chatId })).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
    failing = undefined;
    expect(internalErrors() - before).toBe(0);
  });
});

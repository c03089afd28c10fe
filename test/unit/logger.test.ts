/**
 * Correlation ids on log lines: each invocation's lines carry its own connection, request, chat and
 * message ids, also when invocations run concurrently in one process (the local gateway), and business
 * metrics are EMF lines on AWS only.
 */
import * as v from 'valibot';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineAction } from '../../lambdas/contract/action.ts';
import { setEnvUseLog } from '../../lambdas/shared/env-use.ts';
import { ChatError } from '../../lambdas/shared/errors.ts';
import { frameKeys, Logger, logger } from '../../lambdas/shared/logger.ts';
import {
  countMetric,
  METRICS_STACK_ENV,
  type MetricValues,
  onMetrics,
} from '../../lambdas/shared/metrics.ts';
import { wsAction } from '../../lambdas/shared/ws-middleware.ts';

/** Captures the JSON lines written to stdout and stderr. */
function capture(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const keep = (chunk: unknown) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return lines;
}
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env[METRICS_STACK_ENV];
});

/** A throwaway action: any frame with `action: 'x'` and an optional chatId. */
const testAction = defineAction('x', {
  summary: 'test',
  request: v.object({ chatId: v.optional(v.string()) }),
  ack: {},
});

const gate = () => {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};

const event = (connectionId: string, body: Record<string, unknown>) => ({
  body: JSON.stringify(body),
  isBase64Encoded: false,
  requestContext: {
    routeKey: 'x',
    connectionId,
    requestId: `api-${connectionId}`,
    authorizer: { principalId: 'u1', userId: 'u1' },
  },
});

describe('correlation ids', () => {
  it('two concurrent invocations never log each other’s connection, request or chat ids', async () => {
    const lines = capture();
    // A logs, then waits until B has started and logged; then A logs again. With one shared set of
    // keys (the old logger), A's second line would carry B's ids.
    const aStarted = gate();
    const bLogged = gate();
    const handler = wsAction({
      action: testAction,
      run: async (_input, ctx) => {
        logger.warn('first', { who: ctx.connectionId });
        if (ctx.connectionId === 'conn-A') {
          aStarted.open();
          await bLogged.opened;
        } else {
          await aStarted.opened;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        logger.warn('second', { who: ctx.connectionId });
        if (ctx.connectionId === 'conn-B') bLogged.open();
        return {};
      },
    });
    const context = {} as never;
    await Promise.all([
      handler(event('conn-A', { action: 'x', requestId: 'r-A', chatId: 'chat-A' }) as never, context),
      handler(
        event('conn-B', { action: 'x', requestId: 'r-B', chatId: 'chat-B', messageId: 'm-B' }) as never,
        context,
      ),
    ]);
    const mine = lines.filter((l) => l.message === 'first' || l.message === 'second');
    expect(mine).toHaveLength(4);
    for (const line of mine) {
      const side = String(line.who).slice(-1);
      expect(line, JSON.stringify(line)).toMatchObject({
        connectionId: `conn-${side}`,
        apiRequestId: `api-conn-${side}`,
        requestId: `r-${side}`,
        chatId: `chat-${side}`,
      });
      if (side === 'A') expect(line.messageId).toBeUndefined();
      else expect(line.messageId).toBe('m-B');
    }
    // The order proves the interleaving happened: A's second line came after B's first.
    expect(mine.map((l) => `${l.message}:${l.who}`)).toEqual([
      'first:conn-A',
      'first:conn-B',
      'second:conn-B',
      'second:conn-A',
    ]);
  });

  it('carry the caller’s userId on every line of a route, and on its metrics’ EMF line as a property, not a dimension', async () => {
    const lines = capture();
    process.env[METRICS_STACK_ENV] = 'Chat';
    const handler = wsAction({
      action: testAction,
      run: async () => {
        // A successful send logs nothing but its metric (sendMessage's `MessagesSent`).
        countMetric('MessagesSent');
        logger.warn('connected', { userId: 'u-A' });
        return {};
      },
    });
    const withUser = { ...event('conn-A', { action: 'x', chatId: 'chat-A' }) };
    withUser.requestContext = {
      ...withUser.requestContext,
      authorizer: { principalId: 'u-A', userId: 'u-A' },
    };
    // Not a use check-env should hold against a deployed function: 'x' is this file's own action.
    const recording = setEnvUseLog(undefined);
    try {
      await handler(withUser as never, {} as never);
    } finally {
      setEnvUseLog(recording);
    }
    const emf = lines.find((l) => l._aws !== undefined);
    expect(emf).toMatchObject({ MessagesSent: 1, userId: 'u-A', chatId: 'chat-A', connectionId: 'conn-A' });
    type Declared = { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    const declared = (emf?._aws as Declared | undefined)?.CloudWatchMetrics ?? [];
    expect(declared.flatMap((d) => d.Dimensions)).toEqual([['Stack']]);
    expect(declared.flatMap((d) => d.Metrics.map((m) => m.Name))).toEqual(['MessagesSent']);
    // A line that names the caller itself (connect, disconnect) writes it once.
    const connected = lines.find((l) => l.message === 'connected');
    expect(connected).toMatchObject({ userId: 'u-A' });
    expect(connected).not.toHaveProperty('lineUserId');
  });

  it('takes only short string ids from a frame', () => {
    expect(frameKeys({ requestId: 'r', chatId: 7, messageId: 'm'.repeat(65), other: 'x' })).toEqual({
      requestId: 'r',
    });
  });

  it('keeps a scope of its own for handlers outside the pipeline (the authorizer)', async () => {
    const lines = capture();
    const log = new Logger();
    await Promise.all(
      ['1', '2'].map((id) =>
        log.runWithKeys({ connectionId: id }, async () => {
          await new Promise((resolve) => setTimeout(resolve, id === '1' ? 10 : 0));
          log.error('done', { id });
        }),
      ),
    );
    expect(lines.map((l) => [l.id, l.connectionId])).toEqual([
      ['2', '2'],
      ['1', '1'],
    ]);
  });

  it('never lets a line’s own field replace a correlation key or the line’s level, time or message', () => {
    const lines = capture();
    const log = new Logger();
    log.runWithKeys({ connectionId: 'mine', messageId: 'm_1', awsRequestId: undefined }, () => {
      log.error('post failed', {
        connectionId: 'another-users-socket',
        messageId: 'm_1',
        awsRequestId: 'aws-1',
        message: 'not the line’s',
        level: 'DEBUG',
      });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'ERROR',
      message: 'post failed',
      // The invocation's keys stay; a different value is kept under `line` + its name.
      connectionId: 'mine',
      lineConnectionId: 'another-users-socket',
      // The same value once; a key the scope left unset is the line's to give.
      messageId: 'm_1',
      awsRequestId: 'aws-1',
      lineMessage: 'not the line’s',
      lineLevel: 'DEBUG',
    });
    expect(lines[0]).not.toHaveProperty('lineMessageId');
    expect(lines[0]).not.toHaveProperty('lineAwsRequestId');
  });
});

const errorOf = (line: Record<string, unknown> | undefined) =>
  line?.error as Record<string, unknown> | undefined;

describe('errors on a line', () => {
  it('keep their cause chain (name and message of each, nested), bounded in depth and length', () => {
    const lines = capture();
    const log = new Logger();
    // As lambdas/auth/rotating.ts wraps Secrets Manager's failure: the why is only in `cause`.
    const sdk = Object.assign(new Error('User is not authorized to perform: secretsmanager:GetSecretValue'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400, requestId: 'r-1' },
      SecretString: 'never-logged',
    });
    const wrapped = new Error('the JWT secret cannot be read again', { cause: sdk });
    log.error('token issuer keys unavailable', { error: wrapped });
    const error = errorOf(lines[0]);
    expect(error).toMatchObject({ name: 'Error', message: 'the JWT secret cannot be read again' });
    expect(typeof error?.stack).toBe('string');
    // Name and message only: no stack, no SDK metadata, no other property (a secret's value).
    expect(error?.cause).toEqual({
      name: 'AccessDeniedException',
      message: 'User is not authorized to perform: secretsmanager:GetSecretValue',
    });
    expect(JSON.stringify(lines[0])).not.toContain('never-logged');

    // A cycle (or a long chain) stops after 5 causes; a long message is cut; a cause that is not an
    // Error is named by its type only (an object could hold anything), a string kept (cut).
    const a = new Error('a');
    const b = new Error('m'.repeat(5000), { cause: a });
    a.cause = b;
    log.error('cycle', { error: new Error('top', { cause: b }) });
    let depth = 0;
    let cause = errorOf(lines[1])?.cause as Record<string, unknown> | undefined;
    while (cause) {
      depth++;
      expect(String(cause.message).length).toBeLessThanOrEqual(1001);
      cause = cause.cause as Record<string, unknown> | undefined;
    }
    expect(depth).toBe(5);
    log.error('odd causes', { error: new Error('x', { cause: { password: 'p' } }) });
    expect(errorOf(lines[2])?.cause).toEqual({ type: 'object' });
    log.error('string cause', { error: new Error('x', { cause: 'socket hang up' }) });
    expect(errorOf(lines[3])?.cause).toEqual({ message: 'socket hang up' });
    // No cause, no key.
    log.error('plain', { error: new Error('plain') });
    expect(lines[4]?.error).not.toHaveProperty('cause');
  });
});

describe('business metrics', () => {
  it('are EMF lines with the invocation’s correlation ids on AWS (METRICS_STACK set), silent locally', async () => {
    const lines = capture();
    const seen: MetricValues[] = [];
    const stop = onMetrics((m) => seen.push(m));
    logger.runWithKeys({ connectionId: 'c1' }, () => countMetric('MessagesSent'));
    expect(lines).toEqual([]);
    process.env[METRICS_STACK_ENV] = 'Chat';
    logger.runWithKeys({ connectionId: 'c1' }, () => countMetric('MessagesSent'));
    stop();
    expect(seen).toEqual([{ MessagesSent: 1 }, { MessagesSent: 1 }]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ Stack: 'Chat', connectionId: 'c1', MessagesSent: 1 });
    expect(lines[0]?._aws).toBeDefined();
  });

  it('counts frames answered RATE_LIMITED, from AWS throttling or a per-user limit', async () => {
    capture();
    const seen: MetricValues[] = [];
    const stop = onMetrics((m) => seen.push(m));
    for (const error of [
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
      new ChatError('RATE_LIMITED', 'Slow down.'),
      new ChatError('FORBIDDEN', 'No.'),
    ]) {
      const handler = wsAction({
        action: testAction,
        run: async () => {
          throw error;
        },
      });
      await handler(event('c', { action: 'x' }) as never, {} as never);
    }
    stop();
    expect(seen).toEqual([{ RateLimitedFrames: 1 }, { RateLimitedFrames: 1 }]);
  });
});

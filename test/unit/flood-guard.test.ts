/**
 * Sockets that keep sending after RATE_LIMITED (lambdas/shared/flood-guard.ts): the per-connection
 * count of refused frames (its window and its bounded memory), and the close itself against a mocked
 * Management API: the refusal is answered whatever the close does, and a close that fails is counted
 * and tried again after as many refusals more.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setClients } from '../../lambdas/shared/clients.ts';
import {
  answerRefusal,
  FLOOD_GRACE_FRAMES_MAX,
  FLOOD_GRACE_MS,
  FLOOD_MAX_CONNECTIONS,
  FLOOD_REFUSALS_MAX,
  FLOOD_WINDOW_MS,
  RefusalCounter,
} from '../../lambdas/shared/flood-guard.ts';
import { errorFrame } from '../../lambdas/shared/frames.ts';
import { type BusinessMetric, type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { testManagementClient } from '../support/management-client.ts';

describe('RefusalCounter', () => {
  const ping = { action: 'ping', retryAfterMs: 5_000 };

  it('counts the frames that ignored a refusal: after the grace, before the wait ran out; says close once', () => {
    const counter = new RefusalCounter(3, 60_000, 10, 100);
    // The first refusal tells the client; what it sends within the grace was on the wire already.
    expect([0, 50, 99].map((t) => counter.refuse('c-1', ping, t))).toEqual([false, false, false]);
    expect(counter.refusedOf('c-1')).toBe(0);
    expect([100, 101, 102, 103, 104].map((t) => counter.refuse('c-1', ping, t))).toEqual([
      false,
      false,
      false,
      true,
      false,
    ]);
    expect(counter.refusedOf('c-1')).toBe(5);
    // Other connections count apart.
    expect(counter.refuse('c-2', ping, 200)).toBe(false);
    expect(counter.refusedOf('c-2')).toBe(0);
  });

  it('never counts a burst that arrives within the grace, however big', () => {
    const counter = new RefusalCounter(3, 60_000, 10, 3_000);
    const said = Array.from({ length: 1_000 }, (_, i) => counter.refuse('c-1', ping, i * 2));
    expect(said.some(Boolean)).toBe(false);
    expect(counter.refusedOf('c-1')).toBe(0);
  });

  it('a refusal after the wait it asked for ran out tells the client again (a grace of its own)', () => {
    const counter = new RefusalCounter(3, 60_000, 10, 100);
    const short = { action: 'ping', retryAfterMs: 500 };
    counter.refuse('c-1', short, 0);
    expect(counter.refuse('c-1', short, 200)).toBe(false);
    expect(counter.refusedOf('c-1')).toBe(1);
    // At 500 the wait is over: a client that waited it out and was refused again is told again.
    expect(counter.refuse('c-1', short, 500)).toBe(false);
    expect(counter.refuse('c-1', short, 550)).toBe(false);
    expect(counter.refusedOf('c-1')).toBe(1);
    expect(counter.refuse('c-1', short, 600)).toBe(false);
    expect(counter.refusedOf('c-1')).toBe(2);
  });

  it('each action is told on its own: its first refusal does not count, whatever the others did', () => {
    const counter = new RefusalCounter(3, 60_000, 10, 100);
    counter.refuse('c-1', ping, 0);
    counter.refuse('c-1', ping, 200);
    expect(counter.refusedOf('c-1')).toBe(1);
    expect(counter.refuse('c-1', { action: 'sync', retryAfterMs: 5_000 }, 300)).toBe(false);
    expect(counter.refusedOf('c-1')).toBe(1);
  });

  it('starts a new window at the first counted frame after the last window ended', () => {
    const counter = new RefusalCounter(3, 1000, 10, 0);
    const long = { action: 'ping', retryAfterMs: 60_000 };
    counter.refuse('c-1', long, 0); // tells
    for (const t of [0, 100, 200]) expect(counter.refuse('c-1', long, t)).toBe(false);
    expect(counter.refusedOf('c-1')).toBe(3);
    // 3 counted in [0, 1000): at 1000 the window is over; this one starts the next, at 1000.
    expect(counter.refuse('c-1', long, 1000)).toBe(false);
    expect(counter.refusedOf('c-1')).toBe(1);
    expect(counter.refuse('c-1', long, 1500)).toBe(false);
    expect(counter.refuse('c-1', long, 1999)).toBe(false); // the 3rd of [1000, 2000)
    expect(counter.refuse('c-1', long, 1999)).toBe(true); // the 4th
  });

  it('keeps at most maxConnections, dropping the one refused least recently', () => {
    const counter = new RefusalCounter(3, 1000, 3, 0);
    const twice = (id: string, t: number) => {
      counter.refuse(id, ping, t); // tells
      counter.refuse(id, ping, t); // counted
    };
    twice('a', 0);
    twice('b', 1);
    twice('c', 2);
    counter.refuse('a', ping, 3); // a is now the most recent
    twice('d', 4); // over 3: b goes
    expect(counter.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((id) => counter.refusedOf(id))).toEqual([2, 0, 1, 1]);
    // A dropped connection is told again, and counts from 0.
    twice('b', 5);
    expect(counter.refusedOf('b')).toBe(1);
    expect(counter.size).toBe(3);
  });

  it('counts the frames within graces toward a ceiling of their own: rotating limits does not escape it', () => {
    const counter = new RefusalCounter(3, 60_000, 10, 3_000, 5);
    // Each refusal the first of its limit (a grace of its own), all within the window.
    const said = Array.from({ length: 7 }, (_, i) =>
      counter.refuse('c-1', { action: `limit-${i}`, retryAfterMs: 60_000 }, i),
    );
    expect(said).toEqual([false, false, false, false, false, true, false]);
    expect(counter.refusedOf('c-1')).toBe(0);
  });

  it('asks for a close once a window, whichever count gets there first', () => {
    const counter = new RefusalCounter(3, 60_000, 10, 100, 5);
    const short = { action: 'ping', retryAfterMs: 150 };
    // Graced (told at 0, renewed at 150, …) and counted frames of one window, past both ceilings.
    const said = [0, 50, 120, 130, 140, 145, 150, 160, 300, 310, 320].map((t) =>
      counter.refuse('c-1', short, t),
    );
    expect(said.filter(Boolean)).toHaveLength(1);
    // The next window may ask again.
    const next = [60_000, 60_001, 60_002, 60_003, 60_004, 60_005].map((t) => counter.refuse('c-1', short, t));
    expect(next.filter(Boolean)).toHaveLength(1);
  });

  it('defaults: 30 counted frames a minute after a 3 s grace, a few thousand connections', () => {
    const counter = new RefusalCounter();
    expect([
      counter.max,
      counter.windowMs,
      counter.maxConnections,
      counter.graceMs,
      counter.graceMax,
    ]).toEqual([
      FLOOD_REFUSALS_MAX,
      FLOOD_WINDOW_MS,
      FLOOD_MAX_CONNECTIONS,
      FLOOD_GRACE_MS,
      FLOOD_GRACE_FRAMES_MAX,
    ]);
    expect(FLOOD_REFUSALS_MAX).toBe(30);
    expect(FLOOD_WINDOW_MS).toBe(60_000);
    expect(FLOOD_GRACE_MS).toBe(3_000);
  });
});

describe('answerRefusal', () => {
  const api = mockClient(ApiGatewayManagementApiClient);
  const metrics: MetricValues[] = [];
  const stopMetrics = onMetrics((values) => metrics.push(values));
  const total = (name: BusinessMetric) => metrics.reduce((n, m) => n + (m[name] ?? 0), 0);
  const serverError = () =>
    Object.assign(new Error('Internal server error'), {
      name: 'InternalServerErrorException',
      $metadata: { httpStatusCode: 500 },
    });
  const posted = () => api.commandCalls(PostToConnectionCommand).map((c) => c.args[0].input.ConnectionId);
  const deletes = () => api.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input.ConnectionId);
  const limited = errorFrame('ping', 'r-1', 'RATE_LIMITED', 'Too many ping requests.');
  const refused = { ...limited, retryAfterMs: 1000 };
  /** The users whose handshakes were held, in order (emptied before each test). */
  const held: string[] = [];
  const hold = async (userId: string) => {
    held.push(userId);
  };

  beforeEach(() => {
    api.reset();
    metrics.length = 0;
    held.length = 0;
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    setClients({
      managementClient: testManagementClient(),
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    setClients({ managementClient: undefined });
  });
  afterAll(() => {
    stopMetrics();
    api.restore();
  });

  /** `n` refusals of `connectionId` (user `u-1`); the answers. */
  const refuse = async (counter: RefusalCounter, connectionId: string, n: number) => {
    const answers = [];
    const on = { connectionId, userId: 'u-1', limit: 'ping' };
    for (let i = 0; i < n; i++) answers.push(await answerRefusal(on, refused, 0, counter, hold));
    return answers;
  };

  it('answers every refusal with its frame; the one too many is posted, then the socket is closed and counted', async () => {
    api.on(PostToConnectionCommand).resolves({}).on(DeleteConnectionCommand).resolves({});
    const counter = new RefusalCounter(3, 1000, 10, 0);
    // The first tells the client; the next 3 ignored it; the 4th that does is one too many.
    const answers = await refuse(counter, 'c-1', 6);
    expect(answers).toEqual([refused, refused, refused, refused, undefined, refused]);
    expect(
      api.commandCalls(PostToConnectionCommand).map((c) => JSON.parse(String(c.args[0].input.Data))),
    ).toEqual([refused]);
    expect(deletes()).toEqual(['c-1']);
    expect(total('FloodingSocketsClosed')).toBe(1);
    expect(total('FloodingSocketsLeftOpen')).toBe(0);
    // Its user's handshakes were held once, for the close.
    expect(held).toEqual(['u-1']);
  });

  it('a hold that fails changes nothing: the socket is still told and closed', async () => {
    api.on(PostToConnectionCommand).resolves({}).on(DeleteConnectionCommand).resolves({});
    const counter = new RefusalCounter(1, 1000, 10, 0);
    const failing = async () => {
      throw new Error('DynamoDB is down');
    };
    const on = { connectionId: 'c-5', userId: 'u-5', limit: 'ping' };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await answerRefusal(on, refused, 0, counter, failing));
    expect(answers).toEqual([refused, refused, undefined]);
    expect(deletes()).toEqual(['c-5']);
    expect(total('FloodingSocketsClosed')).toBe(1);
  });

  it('a failing delete changes no answer: retried once, counted, and tried again after as many refusals more', async () => {
    api.on(PostToConnectionCommand).resolves({}).on(DeleteConnectionCommand).rejects(serverError());
    const counter = new RefusalCounter(3, 1000, 10, 0);
    expect(await refuse(counter, 'c-2', 5)).toEqual([refused, refused, refused, refused, undefined]);
    expect(deletes()).toEqual(['c-2', 'c-2']);
    expect(total('FloodingSocketsLeftOpen')).toBe(1);
    expect(total('FloodingSocketsClosed')).toBe(0);
    expect(counter.refusedOf('c-2')).toBe(0);
    // The next 4 refusals (its counts start again; it was told already) try once more; this time
    // the delete works.
    api.on(DeleteConnectionCommand).resolves({});
    expect(await refuse(counter, 'c-2', 4)).toEqual([refused, refused, refused, undefined]);
    expect(deletes()).toEqual(['c-2', 'c-2', 'c-2']);
    expect(total('FloodingSocketsClosed')).toBe(1);
  });

  it("counts a refusal under its limit, not the frame's action (which a client may vary on $default)", async () => {
    api.on(PostToConnectionCommand).resolves({}).on(DeleteConnectionCommand).resolves({});
    const counter = new RefusalCounter(3, 1000, 10, 0);
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const frame = {
        ...errorFrame(`made-up-${i}`, null, 'RATE_LIMITED', 'Too many requests.'),
        retryAfterMs: 1000,
      };
      answers.push(
        await answerRefusal(
          { connectionId: 'c-4', userId: 'u-4', limit: '$default' },
          frame,
          0,
          counter,
          hold,
        ),
      );
    }
    expect(answers.at(-1)).toBeUndefined();
    expect(deletes()).toEqual(['c-4']);
  });

  it('a failing post answers the frame as the route response and deletes nothing', async () => {
    api.on(PostToConnectionCommand).rejects(serverError());
    const counter = new RefusalCounter(1, 1000, 10, 0);
    expect(await refuse(counter, 'c-3', 3)).toEqual([refused, refused, refused]);
    expect(posted()).toEqual(['c-3']);
    expect(deletes()).toEqual([]);
    expect(counter.refusedOf('c-3')).toBe(0);
    expect(total('FloodingSocketsClosed')).toBe(0);
  });
});

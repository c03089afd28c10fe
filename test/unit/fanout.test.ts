/**
 * The fan-out's delivery policy with an in-memory Management API (AWS itself cannot run here; the
 * end-to-end suites run the same code against the local gateway's real Management API).
 */

import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { GoneException, type PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { describe, expect, it } from 'vitest';
import { type ConnectionDirectory, FanOut } from '../../lambdas/fanout/fanout.ts';
import { mapSettled } from '../../lambdas/shared/concurrency.ts';

function httpError(status: number, name: string): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

/** A fake Management API: per connection, a queue of failures before success. */
function fakeApi(failures: Record<string, Error[]> = {}) {
  const delivered: { connectionId: string; data: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    async send(command: unknown) {
      const input = (command as PostToConnectionCommand).input;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      const queue = failures[input.ConnectionId as string];
      const failure = queue?.shift();
      if (failure) throw failure;
      delivered.push({
        connectionId: input.ConnectionId as string,
        data: new TextDecoder().decode(input.Data as Uint8Array),
      });
      return {};
    },
  } as unknown as ApiGatewayManagementApiClient;
  return { client, delivered, maxInFlight: () => maxInFlight };
}

function directory(sockets: Record<string, string[]>) {
  const deleted: string[] = [];
  const dir: ConnectionDirectory = {
    async listIds(userId) {
      return sockets[userId] ?? [];
    },
    async delete(userId, connectionId) {
      deleted.push(`${userId}/${connectionId}`);
      return true;
    },
  };
  return { dir, deleted };
}

describe('FanOut', () => {
  it('posts to every socket of every user, except the excluded one', async () => {
    const api = fakeApi();
    const { dir } = directory({ a: ['a1', 'a2'], b: ['b1'] });
    const fanOut = new FanOut(() => api.client, dir);
    const report = await fanOut.toUsers(['a', 'b', 'a'], { type: 'x', n: 1 }, { excludeConnectionId: 'a1' });
    expect(report).toEqual({ delivered: 2, gone: 0, failed: 0, retried: 0 });
    expect(api.delivered.map((d) => d.connectionId).sort()).toEqual(['a2', 'b1']);
    expect(JSON.parse(api.delivered[0]?.data ?? '')).toEqual({ type: 'x', n: 1 });
  });

  it('deletes exactly the connection that is gone and keeps delivering to the rest', async () => {
    const gone = new GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } });
    const api = fakeApi({ b1: [gone] });
    const { dir, deleted } = directory({ a: ['a1'], b: ['b1', 'b2'] });
    const report = await new FanOut(() => api.client, dir).toUsers(['a', 'b'], { type: 'x' });
    expect(report).toMatchObject({ delivered: 2, gone: 1, failed: 0 });
    expect(deleted).toEqual(['b/b1']);
  });

  it('retries throttling and server errors, then delivers', async () => {
    const api = fakeApi({
      a1: [httpError(429, 'LimitExceededException'), httpError(500, 'InternalServerErrorException')],
    });
    const { dir, deleted } = directory({ a: ['a1'] });
    const report = await new FanOut(() => api.client, dir, { baseDelayMs: 1 }).toUsers(['a'], {
      type: 'x',
    });
    expect(report).toEqual({ delivered: 1, gone: 0, failed: 0, retried: 2 });
    expect(deleted).toEqual([]);
  });

  it('gives up after the bounded attempts without throwing, counting the failure', async () => {
    const api = fakeApi({
      a1: Array.from({ length: 5 }, () => httpError(500, 'InternalServerErrorException')),
    });
    const { dir } = directory({ a: ['a1'], b: ['b1'] });
    const report = await new FanOut(() => api.client, dir, { baseDelayMs: 1, maxAttempts: 3 }).toUsers(
      ['a', 'b'],
      {
        type: 'x',
      },
    );
    expect(report).toEqual({ delivered: 1, gone: 0, failed: 1, retried: 2 });
  });

  it('does not retry client errors other than throttling', async () => {
    const api = fakeApi({ a1: [httpError(403, 'ForbiddenException')] });
    const { dir } = directory({ a: ['a1'] });
    const report = await new FanOut(() => api.client, dir, { baseDelayMs: 1 }).toUsers(['a'], {
      type: 'x',
    });
    expect(report).toEqual({ delivered: 0, gone: 0, failed: 1, retried: 0 });
  });

  it('keeps at most `concurrency` posts in flight', async () => {
    const api = fakeApi();
    const sockets = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`u${i}`, [`c${i}`]]));
    const { dir } = directory(sockets);
    const report = await new FanOut(() => api.client, dir, { concurrency: 4 }).toUsers(Object.keys(sockets), {
      type: 'x',
    });
    expect(report.delivered).toBe(40);
    expect(api.maxInFlight()).toBeLessThanOrEqual(4);
    expect(api.maxInFlight()).toBeGreaterThan(1);
  });
});

describe('mapSettled', () => {
  it('runs every task even when some throw', async () => {
    const done: number[] = [];
    await mapSettled([1, 2, 3, 4], 2, async (n) => {
      if (n === 2) throw new Error('boom');
      done.push(n);
    });
    expect(done.sort()).toEqual([1, 3, 4]);
  });
});

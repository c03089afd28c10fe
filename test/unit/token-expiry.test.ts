/**
 * Closing a socket whose token has expired (lambdas/shared/token-expiry.ts), against a mocked
 * Management API: the TOKEN_EXPIRED frame is posted, then the connection deleted. Once the post
 * landed the caller has its answer, so a failing delete must not send the frame a second time as
 * the route response: it is tried once more, then logged and counted (`ExpiredSocketsLeftOpen`).
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setClients } from '../../lambdas/shared/clients.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { closeExpired, TOKEN_EXPIRED_MESSAGE } from '../../lambdas/shared/token-expiry.ts';
import { testManagementClient } from '../support/management-client.ts';

const api = mockClient(ApiGatewayManagementApiClient);
const metrics: MetricValues[] = [];
const stopMetrics = onMetrics((values) => metrics.push(values));
let logged: string[] = [];

const leftOpen = () => metrics.reduce((n, m) => n + (m.ExpiredSocketsLeftOpen ?? 0), 0);
const serverError = () =>
  Object.assign(new Error('Internal server error'), {
    name: 'InternalServerErrorException',
    $metadata: { httpStatusCode: 500 },
  });
const gone = () => new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } });

beforeEach(() => {
  api.reset();
  metrics.length = 0;
  logged = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((line) => {
    logged.push(String(line));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
    logged.push(String(line));
    return true;
  });
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

const posted = () =>
  api.commandCalls(PostToConnectionCommand).map((c) => JSON.parse(String(c.args[0].input.Data)));
const deletes = () => api.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input.ConnectionId);

describe('closeExpired', () => {
  it('posts TOKEN_EXPIRED, deletes the connection and answers nothing more (the control case)', async () => {
    api.on(PostToConnectionCommand).resolves({}).on(DeleteConnectionCommand).resolves({});
    expect(await closeExpired('c-1', 'ping', 'r-1')).toBeUndefined();
    expect(posted()).toEqual([
      {
        type: 'error',
        action: 'ping',
        requestId: 'r-1',
        code: 'TOKEN_EXPIRED',
        message: TOKEN_EXPIRED_MESSAGE,
      },
    ]);
    expect(deletes()).toEqual(['c-1']);
    expect(leftOpen()).toBe(0);
  });

  it('answers with the frame as the route response when the post failed', async () => {
    api.on(PostToConnectionCommand).rejects(serverError());
    expect(await closeExpired('c-2', 'ping', 'r-2')).toMatchObject({
      code: 'TOKEN_EXPIRED',
      requestId: 'r-2',
    });
    expect(deletes()).toEqual([]);
  });

  it('once the post landed, a failing delete does not send the frame twice: retried once, then counted', async () => {
    api.on(PostToConnectionCommand).resolves({}).on(DeleteConnectionCommand).rejects(serverError());
    expect(await closeExpired('c-3', 'sendMessage', 'r-3')).toBeUndefined();
    expect(posted()).toHaveLength(1);
    expect(deletes()).toEqual(['c-3', 'c-3']);
    expect(leftOpen()).toBe(1);
    const line = logged.map((l) => JSON.parse(l)).find((l) => l.level === 'ERROR');
    expect(line).toMatchObject({ message: 'could not close a socket with an expired token', attempts: 2 });
  });

  it('a delete that fails once and then succeeds closes the socket, and counts nothing', async () => {
    api.on(PostToConnectionCommand).resolves({});
    api.on(DeleteConnectionCommand).rejectsOnce(serverError()).resolves({});
    expect(await closeExpired('c-4', null, null)).toBeUndefined();
    expect(deletes()).toEqual(['c-4', 'c-4']);
    expect(leftOpen()).toBe(0);
  });

  it('a socket already gone (410 on the delete) is closed: no retry, nothing counted', async () => {
    api.on(PostToConnectionCommand).resolves({}).on(DeleteConnectionCommand).rejects(gone());
    expect(await closeExpired('c-5', 'ping', 'r-5')).toBeUndefined();
    expect(deletes()).toEqual(['c-5']);
    expect(leftOpen()).toBe(0);
  });
});

/**
 * The fan-out worker's handler keeps its own posts in flight (`postConcurrency` of lib/workers.ts),
 * whatever the routes' FANOUT_CONCURRENCY: locally the workers run in the routes' process, where a
 * shared setting once let 10 local workers keep 640 posts in flight (the bench's group of 1,000 then
 * took seconds and got duplicates from timed-out posts). The Management API is a real SDK client
 * whose one middleware answers each post after a few milliseconds and counts the posts in flight.
 */
import type { PostToConnectionCommandInput } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it } from 'vitest';
import { setDeps } from '../../lambdas/domain/deps.ts';
import { planJobs } from '../../lambdas/fanout/jobs.ts';
import { handler } from '../../lambdas/handlers/fanOutWorker.ts';
import { setClients } from '../../lambdas/shared/clients.ts';
import { resetConfig } from '../../lambdas/shared/config.ts';
import { FANOUT_WORKER } from '../../lib/workers.ts';
import { testManagementClient } from '../support/management-client.ts';

function countingApi() {
  const seen = { inFlight: 0, most: 0, posted: [] as string[] };
  const client = testManagementClient();
  client.middlewareStack.add(
    (() => async (args: { input: PostToConnectionCommandInput }) => {
      seen.inFlight++;
      seen.most = Math.max(seen.most, seen.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.inFlight--;
      seen.posted.push(String(args.input.ConnectionId));
      return { output: { $metadata: { httpStatusCode: 200 } } };
    }) as never,
    { step: 'initialize', name: 'countPosts', priority: 'high' },
  );
  return { client, seen };
}

afterEach(() => {
  delete process.env.FANOUT_CONCURRENCY;
  resetConfig();
  setDeps(undefined);
  setClients({ managementClient: undefined });
});

describe('the fan-out worker handler', () => {
  it('posts a job with its own posts in flight, not the routes’ FANOUT_CONCURRENCY', async () => {
    process.env.FANOUT_CONCURRENCY = '64';
    resetConfig();
    setDeps(undefined);
    const api = countingApi();
    setClients({ managementClient: api.client });
    const targets = Array.from({ length: 200 }, (_, i) => ({ userId: `u${i}`, connectionId: `c${i}` }));
    const [job] = planJobs(targets, '{"type":"message.created"}', 'g1', 200);
    const out = await handler({ Records: [{ messageId: 'm1', body: JSON.stringify(job) }] } as never);
    expect(out).toEqual({ batchItemFailures: [] });
    expect(api.seen.posted).toHaveLength(200);
    expect(FANOUT_WORKER.postConcurrency).toBe(16);
    expect(api.seen.most).toBe(16);
  });
});

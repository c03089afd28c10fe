/**
 * LocalQueue.stop() waits for the worker's calls in flight (a bound on the wait): a call that outlives
 * the stack would run on into the next test file of a shared worker (test/support/shared-workers.ts),
 * against a DynamoDB Local already stopped.
 */
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalQueue } from '../../local/queue.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LocalQueue.stop', () => {
  it('resolves once the worker calls in flight have returned', async () => {
    const queue = new LocalQueue('stop-test', 'http://localhost/000000000000/stop-test');
    let started = false;
    let finished = false;
    queue.consume(async () => async (_event: SQSEvent) => {
      started = true;
      await sleep(200);
      finished = true;
      return { batchItemFailures: [] };
    });
    queue.send('a');
    while (!started) await sleep(5);
    await queue.stop();
    expect(finished).toBe(true);
    expect(queue.depth).toBe(0);
  });

  it('gives up waiting after its bound: a call that never returns does not hold the stop', async () => {
    const queue = new LocalQueue('stop-test', 'http://localhost/000000000000/stop-test');
    let started = false;
    queue.consume(async () => async () => {
      started = true;
      await new Promise(() => undefined);
    });
    queue.send('a');
    while (!started) await sleep(5);
    const at = Date.now();
    await queue.stop({ waitMs: 100 });
    expect(Date.now() - at).toBeLessThan(2000);
  });
});
